/// A program and its arguments, run without a shell: the program an absolute path to an
/// executable file on this host.
struct HookArguments: ConfigurationValue, Equatable {
    /// The program, then its arguments.
    var argv: [String]

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        guard let array = value.array, !array.isEmpty else {
            throw ValueProblem(
                "must be a non-empty array: the program's absolute path, then its arguments, e.g. [\"/usr/bin/systemctl\", \"reload\", \"app.service\"]"
            )
        }
        var argv: [String] = []
        for element in array {
            guard let text = element.string, !text.contains("\0") else {
                throw ValueProblem("every element must be a string (no shell is involved: give each argument separately)")
            }
            argv.append(text)
        }
        let program = argv[0]
        guard program.hasPrefix("/") else {
            throw ValueProblem("'\(program)' is not an absolute path: hooks run without a shell and without a PATH search")
        }
        let files = document.fileSystem
        guard files.status(of: program, followingLinks: true)?.kind == .regular, files.isAccessible(program, for: .execute) else {
            throw ValueProblem("'\(program)' is not an executable file")
        }
        self.argv = argv
    }
}
