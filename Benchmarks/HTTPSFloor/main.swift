// The least an idle keyrotd can weigh: AsyncHTTPClient over TLS (NIO, BoringSSL,
// FoundationEssentials, the static Swift runtime), linked exactly as keyrotd is, after a few
// HTTPS requests. benchmark.py sets keyrotd's idle memory beside this program's.
//
// Usage: keyrotd-https-floor URL CA-FILE REQUESTS; prints "ready" once idle, then sleeps.
import AsyncHTTPClient
import Glibc
import NIOSSL

let arguments = CommandLine.arguments
var tls = TLSConfiguration.makeClientConfiguration()
tls.trustRoots = .file(arguments[2])
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
for _ in 0..<(Int(arguments[3]) ?? 1) {
    let response = try await client.execute(HTTPClientRequest(url: arguments[1]), timeout: .seconds(30))
    _ = try await response.body.collect(upTo: 1 << 20)
}
print("ready")
fflush(nil)
while true { sleep(3600) }
