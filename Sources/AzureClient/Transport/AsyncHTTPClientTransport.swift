import AsyncHTTPClient
import Dispatch
import FoundationEssentials
import KeyRotation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The production ``HTTPTransport`` on AsyncHTTPClient: TLS verified against the system trust
/// store plus an optional extra CA file; plain HTTP refused except to loopback addresses (and, for
/// the managed identity transport, link-local metadata addresses); an HTTPS proxy used for every
/// host `NO_PROXY` does not exempt.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let direct: HTTPClient
    private let proxied: HTTPClient?
    private let proxy: ProxyConfiguration?
    private let metadata: Bool
    private let maximumBodySize: Int

    /// Creates the transport.
    ///
    /// - Parameters:
    ///   - extraCAFile: a PEM file of extra trust roots (`tls_ca_file`).
    ///   - proxy: the HTTPS proxy, from ``ProxyConfiguration/init(environment:)``.
    ///   - metadata: allow plain HTTP to link-local addresses (managed identity endpoints only).
    ///   - connectionsPerHost: how many HTTP/1.1 connections may be open to one host at once (the
    ///     operator's `concurrency`); AsyncHTTPClient's default of 8 would cap a wave of rotations at
    ///     8 calls per round trip, a third of ARM's budget at Internet latency.
    ///   - maximumBodySize: a larger answer is refused unread.
    public init(
        extraCAFile: String? = nil,
        proxy: ProxyConfiguration? = nil,
        metadata: Bool = false,
        connectionsPerHost: Int = 8,
        maximumBodySize: Int = 1 << 20
    ) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let extraCAFile { tls.additionalTrustRoots = [.file(extraCAFile)] }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        self.direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        if let proxy {
            configuration.proxy = .server(
                host: proxy.host,
                port: proxy.port,
                authorization: proxy.credentials.map { .basic(credentials: Data($0.exposedValue.utf8).base64EncodedString()) }
            )
            self.proxied = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        } else {
            self.proxied = nil
        }
        self.proxy = proxy
        self.metadata = metadata
        self.maximumBodySize = maximumBodySize
    }

    /// Closes the connection pools.
    public func shutdown() async throws {
        try await Self.shutdown(direct)
        if let proxied { try await Self.shutdown(proxied) }
    }

    /// AsyncHTTPClient's own `shutdown()` answers on Dispatch's global queue, whose first worker
    /// arms libdispatch's once-a-second pool monitor and its timer thread for the rest of the
    /// process; a serial queue's worker does neither.
    private static func shutdown(_ client: HTTPClient) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            client.shutdown(queue: DispatchQueue(label: "keyrotd.http-shutdown")) { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    public func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData {
        guard let scheme = request.url.scheme, let host = request.url.host,
            EndpointPolicy.allows(scheme: scheme, host: host, metadata: metadata)
        else {
            throw TransportError(
                kind: .refused,
                url: request.url,
                detail: "only https is allowed, and plain http only to a loopback address"
            )
        }
        let client = proxied.flatMap { proxy?.proxies(host: host) == true ? $0 : nil } ?? direct
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
        } catch is NIOTooManyBytesError {
            // Read no further than the bound: an answer this large is garbage or hostile, never keys.
            throw TransportError(
                kind: .connection,
                url: request.url,
                detail: "the answer's body is larger than the \(maximumBodySize) bytes keyrotd reads; refused unread"
            )
        } catch {
            throw TransportError.classify(error, url: request.url)
        }
    }
}
