/// A program the operator wants run when a key is published (`on_publish`): an argument vector,
/// never a shell string, so no value keyrotd passes can be interpreted by a shell.
public struct HookCommand: Sendable, Equatable {
    /// The absolute path of the program, then its arguments.
    public var argv: [String]
    /// How long it may run before it is sent SIGTERM (and SIGKILL ``killAfter`` later).
    public var timeout: Duration
    /// Where it was configured (`[daemon]`, `[[resource]] acs-001`), for log lines.
    public var origin: String

    /// How long a hook gets between SIGTERM and SIGKILL.
    public static let killAfter: Duration = .seconds(5)
    /// The `PATH` hooks get; nothing else of keyrotd's environment is passed on.
    public static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    /// The default ``timeout``.
    public static let defaultTimeout: Duration = .seconds(30)

    /// Creates a hook command.
    public init(argv: [String], timeout: Duration = Self.defaultTimeout, origin: String) {
        self.argv = argv
        self.timeout = timeout
        self.origin = origin
    }

    /// The program's path.
    public var program: String { argv.first ?? "" }
}
