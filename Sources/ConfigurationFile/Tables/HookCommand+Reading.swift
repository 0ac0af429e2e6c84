import KeyRotation

extension HookCommand {
    /// `on_publish` with its `hook_timeout`, of `[daemon]`, a resource or a follower; `origin` names
    /// it in the journal.
    static func read(_ t: inout TableReader, origin: String) -> HookCommand? {
        let timeout = t.read(ConfigurationSchema.hookTimeout, as: Duration.self)
        guard t.contains(ConfigurationSchema.onPublish) else {
            if t.contains(ConfigurationSchema.hookTimeout) { t.warning(ConfigurationSchema.hookTimeout, "has no effect without on_publish") }
            return nil
        }
        guard let arguments = t.read(ConfigurationSchema.onPublish, as: HookArguments.self) else { return nil }
        return HookCommand(argv: arguments.argv, timeout: timeout ?? defaultTimeout, origin: origin)
    }
}
