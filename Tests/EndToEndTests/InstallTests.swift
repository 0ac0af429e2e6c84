import Foundation
import Glibc
import KeyRotation
import Systemd
import Testing

extension EndToEnd {
    /// What `make install` puts on a machine besides the binary: the manuals, which render without
    /// a warning and cover every command, option and MESSAGE_ID, and the shell completions.
    struct InstallTests {

        func install() async throws -> String {
            let directory = try testDirectory("install")
            let stage = directory + "/stage"
            let install = try ChildProcess(
                EndToEnd.repositoryRoot + "/scripts/install.sh",
                [],
                directory: directory,
                label: "install",
                environment: ["DESTDIR": stage, "PREFIX": "/usr/local", "KEYROTD_BIN": Binaries.keyrotd]
            )
            #expect(await install.wait() == 0, "\(install.stderr)")
            return stage + "/usr/local"
        }

        /// The page's source with roff's `\-` read as `-`, and checks that `man` renders it without a warning.
        func rendered(_ page: String) async throws -> String {
            let man = try ChildProcess(
                "/usr/bin/man",
                ["--warnings", "-E", "UTF-8", "-l", page],
                directory: NSTemporaryDirectory(),
                label: "man",
                environment: ["MANWIDTH": "100", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"]
            )
            #expect(await man.wait() == 0 && man.stderr.isEmpty, "man --warnings \(page): \(man.stderr)")
            // The source, not the rendering: a rendered line may break a word at its hyphen.
            return try String(contentsOfFile: page, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        }

        /// Every long option `--help` lists for `arguments`.
        func options(_ binary: String, _ arguments: [String]) async throws -> [String] {
            let (_, help, _) = try await ChildProcess.run(binary, arguments + ["--help"], directory: NSTemporaryDirectory(), label: "help")
            // An option's line starts with it ("  -c, --config <config>  …"); wrapped help text does not.
            return help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("-") }.compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("--") }.map { String($0) }
            }.filter { $0 != "--help" }
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/man")))
        func theManualsRenderCleanlyAndCoverEveryCommandOptionAndMessageID() async throws {
            let prefix = try await install()
            let keyrotd = try await rendered(prefix + "/share/man/man8/keyrotd.8")
            for event in JournalEvent.allCases {
                #expect(keyrotd.contains(event.messageID) && keyrotd.contains(event.rawValue), "keyrotd(8) lacks \(event.rawValue)")
            }
            for option in try await options(Binaries.keyrotd, []) {
                #expect(keyrotd.contains(option), "keyrotd(8) lacks \(option)")
            }
            for command in ["run", "check", "status", "rotate", "demo"] {
                #expect(keyrotd.contains("keyrotd \(command)"))
                for option in try await options(Binaries.keyrotd, [command]) {
                    #expect(keyrotd.contains(option), "keyrotd(8) lacks \(command) \(option)")
                }
            }
            let emulator = try await rendered(prefix + "/share/man/man1/keyrotd-emulator.1")
            for option in try await options(Binaries.emulator, []) {
                #expect(emulator.contains(option), "keyrotd-emulator(1) lacks \(option)")
            }
            _ = try await rendered(prefix + "/share/man/man5/keyrotd.toml.5")
        }

        @Test func theCompletionsAreInstalledForBashZshAndFish() async throws {
            let prefix = try await install()
            let bash = prefix + "/share/bash-completion/completions/keyrotd"
            let (syntax, _, errors) = try await ChildProcess.run("/bin/bash", ["-n", bash], directory: NSTemporaryDirectory(), label: "bash-n")
            #expect(syntax == 0, "\(errors)")
            for file in [bash, prefix + "/share/zsh/site-functions/_keyrotd", prefix + "/share/fish/vendor_completions.d/keyrotd.fish"] {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(text.contains("rotate") && text.contains("emergency"), "\(file) completes the commands and their options")
            }
        }
    }
}
