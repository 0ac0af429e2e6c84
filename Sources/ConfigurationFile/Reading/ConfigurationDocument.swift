import KeyRotation
import SystemPackage

/// The file being read: its parsed tables (whose recorded positions give every issue its line),
/// the issues found so far, and what values are checked against: the environment, the host's
/// files, the credentials read so far.
///
/// A class because every ``TableReader`` of one reading records into the same list; it never
/// leaves the synchronous reading.
final class ConfigurationDocument {
    /// The configuration file.
    let path: String
    /// The parsed document.
    let root: TOMLTable
    /// The environment for `${VAR}` expansion.
    let environment: [String: String]
    /// The host's files, groups and zones.
    let fileSystem: any ConfigurationFileSystem
    /// What keyrotd.service hands over, where `CREDENTIALS_DIRECTORY` is not set.
    let serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>?
    /// Every issue, in the order found.
    private(set) var issues: [ConfigurationIssue] = []
    /// The credentials read so far, by name, which resources and followers name.
    var credentials: [String: CredentialConfiguration] = [:]
    /// The names of every `[credential.NAME]` table, read or refused: naming one with errors of its
    /// own is not a second error.
    var credentialNames: [String] = []

    /// Creates the reading of `root`, parsed from `path`.
    init(
        path: String,
        root: TOMLTable,
        environment: [String: String],
        fileSystem: any ConfigurationFileSystem,
        serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>?
    ) {
        self.path = path
        self.root = root
        self.environment = environment
        self.fileSystem = fileSystem
        self.serviceCredentials = serviceCredentials
    }

    /// What relative paths in the file are relative to.
    var baseDirectory: String {
        let directory = FilePath(path).removingLastComponent().string
        return directory.isEmpty ? fileSystem.currentDirectory : directory
    }

    /// Records an error at the key path `keyPath` (`resource[2].grace`; empty for the file).
    func error(_ keyPath: String, _ message: String) {
        issues.append(ConfigurationIssue(file: path, line: line(of: keyPath), key: keyPath, message: message))
    }

    /// Records a warning at the key path `keyPath`.
    func warning(_ keyPath: String, _ message: String) {
        issues.append(ConfigurationIssue(file: path, line: line(of: keyPath), key: keyPath, message: message, severity: .warning))
    }

    /// Whether an error was recorded at `keyPath` or inside it.
    func hasErrors(at keyPath: String) -> Bool {
        issues.contains { $0.severity == .error && ($0.key == keyPath || $0.key.hasPrefix(keyPath + ".")) }
    }

    /// A reader of the table at `name` of the document, when there is one that is a table.
    func table(_ name: String, as kind: ConfigurationKey.Table) -> TableReader? {
        root[name]?.table.map { TableReader(document: self, keyPath: name, table: $0, kind: kind) }
    }

    /// The line of a key path (`daemon.concurrency`, `resource[2].outputs[0].file`) from the positions
    /// the parser recorded; for a key that is not written (a required one), the line of the nearest
    /// enclosing key or table that is; 0 for the file as a whole.
    func line(of keyPath: String) -> Int {
        var table = root
        var line = 0
        var rest = Substring(keyPath)
        while !rest.isEmpty {
            // A quoted key may hold dots (`[credential."a.b"]`): take the longest prefix the table has.
            var end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
            while table[String(rest[..<end])] == nil, end < rest.endIndex,
                let next = rest[rest.index(after: end)...].firstIndex(where: { $0 == "." || $0 == "[" })
            {
                end = next
            }
            let key = String(rest[..<end])
            guard var value = table[key] else { return line }
            line = table.position(of: key)?.line ?? line
            rest = rest[end...]
            while rest.first == "[", let close = rest.firstIndex(of: "]") {
                guard let index = Int(rest[rest.index(after: rest.startIndex)..<close]), let elements = value.array, index < elements.count else {
                    return line
                }
                value = elements[index]
                line = value.table?.position?.line ?? line
                rest = rest[rest.index(after: close)...]
            }
            guard let next = value.table else { return line }
            table = next
            if rest.first == "." { rest = rest.dropFirst() }
        }
        return line
    }
}
