import NIOCore
import NIOHTTP1
import NIOPosix

/// Collects one HTTP request, hands it to the routes, and writes the answer (or resets, or hangs).
final class EmulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handle: @Sendable (EmulatorRequest) async -> EmulatorResponse
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private let maximumBody = 1 << 20

    /// Creates a handler that answers with `handle`.
    init(handle: @escaping @Sendable (EmulatorRequest) async -> EmulatorResponse) {
        self.handle = handle
    }

    /// Collects head, body and end, then answers.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            if body.count + buffer.readableBytes <= maximumBody { body.append(contentsOf: buffer.readableBytesView) }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = EmulatorRequest(
                method: head.method.rawValue,
                uri: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                body: body
            )
            let keepAlive = head.isKeepAlive
            let version = head.version
            let handle = self.handle
            let loop = context.eventLoop
            let boundContext = NIOLoopBound(context, eventLoop: loop)
            let boundSelf = NIOLoopBound(self, eventLoop: loop)
            let promise = loop.makePromise(of: EmulatorResponse.self)
            promise.completeWithTask { await handle(request) }
            promise.futureResult.whenSuccess { response in
                boundSelf.value.write(response, keepAlive: keepAlive, version: version, context: boundContext.value)
            }
        }
    }

    private func write(_ response: EmulatorResponse, keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext) {
        switch response {
        case .reset:
            // SO_LINGER 0 turns close into a TCP RST: the client sees "connection reset".
            guard let provider = context.channel as? any SocketOptionProvider else {
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        case .hang:
            let channel = context.channel
            context.eventLoop.scheduleTask(in: .seconds(300)) { channel.close(promise: nil) }
        case .respond(let status, let headers, let body):
            var h = HTTPHeaders(headers)
            // A HEAD answer keeps the length GET would send.
            if !(body.isEmpty && h.contains(name: "Content-Length")) { h.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
            if !keepAlive { h.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status), headers: h)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if !body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            let channel = context.channel
            if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
        }
    }

    /// Closes the connection on a protocol or TLS error.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
