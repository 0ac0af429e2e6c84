import Foundation
import Testing

extension EndToEnd {
    /// The shipped unit, checked by systemd's own tools.
    struct UnitFileTests {
        static var unitText: String {
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            return (try? String(contentsOf: root.appendingPathComponent("systemd/keyrotd.service"), encoding: .utf8)) ?? ""
        }

        /// The unit with ExecStart pointing at the built binary (verify checks that it exists).
        func stagedUnit() throws -> (String, String) {
            let directory = try testDirectory("unit")
            let path = directory + "/keyrotd.service"
            try Self.unitText.replacingOccurrences(of: "/usr/local/bin/keyrotd", with: Binaries.keyrotd)
                .write(toFile: path, atomically: true, encoding: .utf8)
            return (directory, path)
        }

        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
        func verifyPrintsNothing() async throws {
            let (directory, path) = try stagedUnit()
            let (status, out, errors) = try await ChildProcess.run(
                "/usr/bin/systemd-analyze",
                ["verify", "--man=no", path],
                directory: directory,
                label: "verify"
            )
            #expect(status == 0)
            #expect(out.isEmpty && errors.isEmpty, "systemd-analyze verify said: \(out)\(errors)")
        }

        /// The exposure must stay at 1.0 or below, with the egress allow list in place.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
        func securityExposureStaysAt1Point0OrBelow() async throws {
            let (directory, path) = try stagedUnit()
            let (status, out, errors) = try await ChildProcess.run(
                "/usr/bin/systemd-analyze",
                ["security", "--offline=yes", "--threshold=10", path],
                directory: directory,
                label: "security"
            )
            #expect(status == 0, "\(out)\(errors)")
            let overall = out.split(separator: "\n").first { $0.contains("Overall exposure level") }
            #expect(overall != nil)
            #expect(!out.contains("✗ UMask=") && !out.contains("✗ PrivateMounts=") && !out.contains("✗ MemoryDenyWriteExecute="))
            #expect(out.contains("IP address allow list with non-localhost entries"), "IPAddressDeny=any with an allow list must stay")
        }
    }
}
