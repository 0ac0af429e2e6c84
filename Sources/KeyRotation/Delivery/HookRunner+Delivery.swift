import Logging

extension HookRunner {
    /// Runs the `on_publish` `hooks` in order, each logged with `metadata` and its outcome; throws
    /// ``HookFailure`` at the first that does not succeed (the rest do not run: the key is not delivered).
    public func deliver(
        _ hooks: [HookCommand],
        environment: [String: String],
        redacting secrets: [String],
        metadata: Logger.Metadata,
        logger: Logger
    ) async throws {
        for hook in hooks {
            let result = await run(hook, environment: environment, redacting: secrets)
            var metadata = metadata
            metadata[.hook] = .string(hook.program)
            metadata[.hookOrigin] = .string(hook.origin)
            metadata[.hookMilliseconds] = .stringConvertible(Int(result.duration / .milliseconds(1)))
            if !result.output.isEmpty { metadata[.hookOutput] = .string(result.output) }
            if result.discardedBytes > 0 { metadata[.hookOutputDiscardedBytes] = .stringConvertible(result.discardedBytes) }
            guard result.succeeded else {
                logger.log(
                    .hookFailed,
                    "on_publish hook \(hook.program) \(result.termination); the key is in the file but not delivered",
                    metadata: metadata
                )
                throw HookFailure(hook: hook, termination: result.termination)
            }
            logger.log(.hookSucceeded, "on_publish hook \(hook.program) succeeded", metadata: metadata)
        }
    }
}
