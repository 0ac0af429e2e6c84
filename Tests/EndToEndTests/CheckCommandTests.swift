import Foundation
import Glibc
import Testing

/// `keyrotd check` through the binary: exit status, the `file:line: error: key: message` lines on
/// standard error, the summary on standard output. The loader's cases run in process
/// (`ConfigurationLoaderTests`); these few prove the command prints them.
extension EndToEnd {
    struct CheckCommandTests {
        static let id =
            "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-001"

        static func document(secret: String, resource: String = "", daemon: String = "") -> String {
            """
            [daemon]
            secrets_dir = "secrets"
            state_dir = "state"
            \(daemon)
            [credential.main]
            tenant = "t"
            client_id = "c"
            client_secret_file = "\(secret)"

            [[resource]]
            id = "\(id)"
            \(resource)
            """
        }

        @Test(arguments: [
            ("syntax error", "[daemon]\nsecrets_dir = \n", 2, "", "TOML syntax error"),
            ("unknown key", "daemon: concurency = 4", 4, "daemon.concurency", "did you mean 'concurrency'"),
            ("bad duration", "resource: every = \"soon\"", 12, "resource[0].every", "is not a duration"),
        ])
        func printsEveryProblemWithFileLineAndKey(name: String, change: String, line: Int, key: String, message: String) async throws {
            let dir = try testDirectory("check")
            let secret = dir + "/secret"
            _ = FileManager.default.createFile(atPath: secret, contents: Data("s3cr3t".utf8), attributes: [.posixPermissions: 0o600])
            let text: String
            if change.hasPrefix("daemon: ") {
                text = Self.document(secret: secret, daemon: String(change.dropFirst(8)))
            } else if change.hasPrefix("resource: ") {
                text = Self.document(secret: secret, resource: String(change.dropFirst(10)))
            } else {
                text = change
            }
            let path = dir + "/keyrotd.toml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, stdout, stderr) = try await ChildProcess.run(Binaries.keyrotd, ["check", "--config", path], directory: dir, label: "check")
            #expect(status == 1, "\(name): \(stderr)")
            #expect(stdout.isEmpty)
            let expected = key.isEmpty ? "\(path):\(line): error: " : "\(path):\(line): error: \(key): "
            #expect(stderr.split(separator: "\n").contains { $0.hasPrefix(expected) && $0.contains(message) }, "\(name): \(stderr)")
            #expect(stderr.contains("\(path): 1 error"))
        }

        @Test func aValidConfigurationAndTheExamplePass() async throws {
            let dir = try testDirectory("check-ok")
            let secret = dir + "/secret"
            _ = FileManager.default.createFile(atPath: secret, contents: Data("s3cr3t".utf8), attributes: [.posixPermissions: 0o600])
            let path = dir + "/keyrotd.toml"
            try Self.document(secret: secret).write(toFile: path, atomically: true, encoding: .utf8)
            let (status, stdout, stderr) = try await ChildProcess.run(Binaries.keyrotd, ["check", "--config", path], directory: dir, label: "check")
            #expect(status == 0, "\(stderr)")
            #expect(stdout.contains("OK, 1 resource, 1 credential"))

            let (exampleStatus, _, exampleErrors) = try await ChildProcess.run(
                Binaries.keyrotd,
                ["check", "--config", EndToEnd.repositoryRoot + "/config/keyrotd.toml"],
                directory: dir,
                label: "check-example"
            )
            // The example names a systemd credential, which only exists under systemd: a warning, not an error.
            #expect(exampleStatus == 0, "\(exampleErrors)")
        }
    }
}
