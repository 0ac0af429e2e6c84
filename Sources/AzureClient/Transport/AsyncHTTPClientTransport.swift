import AsyncHTTPClient
import Foundation
import KeyRotation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The production ``HTTPTransport`` on AsyncHTTPClient: TLS verified against the system trust
/// store plus an optional extra CA file; plain HTTP refused except to loopback addresses.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let maximumBodySize: Int

    /// Creates the transport.
    ///
    /// - Parameter extraCAFile: a PEM file of extra trust roots (`tls_ca_file`).
    public init(extraCAFile: String? = nil, maximumBodySize: Int = 1 << 20) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let extraCAFile { tls.additionalTrustRoots = [.file(extraCAFile)] }
        let configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled
        )
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.maximumBodySize = maximumBodySize
    }

    /// Closes the connection pool.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData {
        guard let scheme = request.url.scheme, let host = request.url.host,
            EndpointPolicy.allows(scheme: scheme, host: host)
        else {
            throw TransportError(
                kind: .refused,
                url: request.url,
                detail: "only https is allowed, and plain http only to a loopback address"
            )
        }
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "POST" {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outgoing, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: maximumBodySize)
            return HTTPResponseData(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: Array(buffer: body)
            )
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw TransportError.classify(error, url: request.url)
        }
    }
}
