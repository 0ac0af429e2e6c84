/// Runs an operator's hook program. A protocol so rotation tests can script hook outcomes; the
/// daemon's runner is `SubprocessHookRunner` in the `Hooks` module.
public protocol HookRunner: Sendable {
    /// Runs `hook` with exactly `environment`, enforcing its timeout. Every value in `redacting`
    /// is replaced in the captured output before it is returned (a hook that prints the file it
    /// was told about must not get the key into the journal).
    func run(_ hook: HookCommand, environment: [String: String], redacting: [String]) async -> HookResult
}
