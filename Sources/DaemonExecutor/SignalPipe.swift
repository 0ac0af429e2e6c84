internal import CSignalPipe
import Glibc
import NIOCore
import NIOPosix

/// Unix signals as an async sequence, without Dispatch.
///
/// swift-service-lifecycle's `UnixSignalsSequence` reads signals with Dispatch signal sources,
/// which start Dispatch's manager and worker threads; each of those calls `setpriority`, which the
/// unit's system-call filter (`~@resources`) refuses, and libdispatch logs "Failed to set thread
/// priority" to the journal for every thread. Here a C handler writes each signal's number to a
/// pipe (the self-pipe trick) and the pipe is read on NIO's event loops, which already run.
public enum SignalPipe {
    /// Installs handlers for `signals` and returns the signals received, in order. Before this is
    /// called the signals keep their default action. Call once per process.
    public static func signals(_ signals: [Int32]) async throws -> AsyncStream<Int32> {
        let reading = keyrotd_signal_pipe_install(signals, Int32(signals.count))
        guard reading >= 0 else { throw IOError(errnoCode: errno, reason: "installing the signal handlers") }
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        // A signal that arrives before the channel reads the pipe waits in it.
        _ = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(continuation: continuation)) }
            }
            .takingOwnershipOfDescriptor(input: reading)
            .get()
        return stream
    }

    private final class Reader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<Int32>.Continuation

        init(continuation: AsyncStream<Int32>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            for byte in unwrapInboundIn(data).readableBytesView { continuation.yield(Int32(byte)) }
        }
    }
}
