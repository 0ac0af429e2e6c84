import Foundation
import Glibc
import Testing

extension EndToEnd {
    /// The emulator's data plane against Microsoft's own ACS client library (azure-communication-identity
    /// from PyPI, installed into a virtualenv under `.build/`): a published connection string works with
    /// it, and stops working once keyrotd has regenerated that key.
    struct OfficialSDKTests {
        static let script = """
            import sys
            from azure.communication.identity import CommunicationIdentityClient
            conn = open(sys.argv[1]).read().strip()
            try:
                CommunicationIdentityClient.from_connection_string(conn).create_user()
                print("accepted")
            except Exception as e:
                print("refused", getattr(e, "status_code", type(e).__name__))
            """

        static func virtualenv() async throws -> String {
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            let venv = root.path + "/.build/python-acs"
            if FileManager.default.fileExists(atPath: venv + "/.installed") { return venv }
            let dir = try testDirectory("venv")
            var (status, _, errors) = try await ChildProcess.run("/usr/bin/env", ["python3", "-m", "venv", venv], directory: dir, label: "venv")
            guard status == 0 else { throw TestFailure("python3 -m venv failed: \(errors)") }
            (status, _, errors) = try await ChildProcess.run(
                venv + "/bin/pip",
                ["install", "--quiet", "azure-communication-identity==1.5.0"],
                directory: dir,
                label: "pip",
                timeout: .seconds(300)
            )
            guard status == 0 else { throw TestFailure("pip install azure-communication-identity failed: \(errors)") }
            _ = FileManager.default.createFile(atPath: venv + "/.installed", contents: nil)
            return venv
        }

        func check(_ file: String, venv: String, scenario: Scenario) async throws -> String {
            let script = scenario.directory + "/acs_check.py"
            try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
            let child = try ChildProcess(
                venv + "/bin/python",
                [script, file],
                directory: scenario.directory,
                label: "acs-sdk",
                environment: ["REQUESTS_CA_BUNDLE": scenario.emulator.info.caFile ?? ""]
            )
            await child.wait(timeout: .seconds(60))
            return child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func theOfficialACSClientAcceptsAPublishedKeyUntilItIsRegenerated() async throws {
            let venv = try await Self.virtualenv()
            let scenario = try await Scenario("sdk", emulatorArguments: [], resources: 1, every: "3s", grace: "500ms")
            let daemon = try scenario.startDaemon()
            let file = scenario.configuration.daemon.secretsDirectory + "/acs-001.conn"
            try await scenario.wait(for: .seconds(30), "adoption") { FileManager.default.fileExists(atPath: file) }
            let old = scenario.directory + "/before-rotation.conn"
            try FileManager.default.copyItem(atPath: file, toPath: old)
            #expect(try await check(old, venv: venv, scenario: scenario) == "accepted")
            try await scenario.wait(for: .seconds(30), "a full rotation") { scenario.totalRotations() >= 1 }
            #expect(try await check(file, venv: venv, scenario: scenario) == "accepted")
            #expect(try await check(old, venv: venv, scenario: scenario) == "refused 401")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            try FileManager.default.removeItem(atPath: old)
            try await scenario.finish()
        }
    }
}
