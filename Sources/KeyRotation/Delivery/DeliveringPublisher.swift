import Logging

/// A ``SecretPublisher`` that runs the `on_publish` hooks once the file is durably written. The
/// key counts as published, and the rotation moves on, only when every hook succeeded: a failing
/// or hanging hook fails the step, which is retried with backoff (rewriting the same file is
/// harmless). So in the `full` strategy the key consumers are leaving is never regenerated before
/// the new one was delivered and `grace` has passed.
public final class DeliveringPublisher: SecretPublisher {
    private let inner: any SecretPublisher
    private let hooks: [HookCommand]
    private let runner: any HookRunner
    private let resource: String
    private let file: String
    private let logger: Logger

    /// Wraps `inner`, which writes `file` (an absolute path) for `resource`; `hooks` run in order.
    public init(inner: any SecretPublisher, hooks: [HookCommand], runner: any HookRunner, resource: String, file: String, logger: Logger) {
        self.inner = inner
        self.hooks = hooks
        self.runner = runner
        self.resource = resource
        self.file = file
        var logger = logger
        logger[field: .resource] = .string(resource)
        self.logger = logger
    }

    public func currentDigest() async -> KeyFingerprint? { await inner.currentDigest() }

    public func recover(_ fingerprint: KeyFingerprint) async -> Secret? { await inner.recover(fingerprint) }

    public func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        let digest = try await inner.publish(material, step: step)
        let environment = Self.environment(resource: resource, file: file, material: material, step: step)
        let secrets = [material.key.exposedValue] + (material.connectionString.map { [$0.exposedValue] } ?? [])
        let metadata: Logger.Metadata = .fields([.key: .string(material.slot.rawValue), .step: .string(step.name)])
        try await runner.deliver(hooks, environment: environment, redacting: secrets, metadata: metadata, logger: logger)
        return digest
    }

    /// What a hook is told: names, never the key (`KEYROTD_FINGERPRINT` is a truncated hash).
    static func environment(resource: String, file: String, material: KeyMaterial, step: RotationStep) -> [String: String] {
        [
            "PATH": HookCommand.searchPath,
            "KEYROTD_RESOURCE": resource,
            "KEYROTD_FILE": file,
            "KEYROTD_KEY": material.slot.rawValue,
            "KEYROTD_STEP": step.name,
            "KEYROTD_FINGERPRINT": material.fingerprint.value,
        ]
    }
}

/// An `on_publish` hook did not succeed, so the published key is not yet delivered.
public struct HookFailure: Error, Sendable, CustomStringConvertible {
    /// The hook.
    public var hook: HookCommand
    /// How it ended.
    public var termination: HookResult.Termination

    public var description: String {
        "on_publish hook \(hook.program) (\(hook.origin)) \(termination); its output is in the preceding journal entry. The step is retried; fix the hook or remove it from the configuration"
    }
}
