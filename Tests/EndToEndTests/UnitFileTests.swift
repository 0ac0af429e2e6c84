import Foundation
import Testing

extension EndToEnd {
    /// The shipped unit, checked by systemd's own tools.
    struct UnitFileTests {
        static var root: URL { URL(fileURLWithPath: EndToEnd.repositoryRoot) }

        static var unitText: String {
            (try? String(contentsOf: root.appendingPathComponent("systemd/keyrotd.service"), encoding: .utf8)) ?? ""
        }

        /// `unit` with ExecStart pointing at the built binary (verify checks that it exists).
        func stagedUnit(_ unit: String = unitText) throws -> (String, String) {
            let directory = try testDirectory("unit")
            let path = directory + "/keyrotd.service"
            try unit.replacingOccurrences(of: "/usr/local/bin/keyrotd", with: Binaries.keyrotd)
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

        /// `systemd-analyze security`'s overall exposure of `unit` and its report; it exits non-zero
        /// above `threshold` tenths.
        func exposure(_ unit: String, threshold: Int) async throws -> (Double, String) {
            let (directory, path) = try stagedUnit(unit)
            let (status, out, errors) = try await ChildProcess.run(
                "/usr/bin/systemd-analyze",
                ["security", "--offline=yes", "--threshold=\(threshold)", path],
                directory: directory,
                label: "security"
            )
            #expect(status == 0, "\(out)\(errors)")
            let overall = try #require(out.split(separator: "\n").first { $0.contains("Overall exposure level") })
            let number = try #require(overall.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
            return (number, out)
        }

        /// Egress is open, so a fresh install reaches Azure; every other setting keeps the rating at 1.2
        /// (1.1 before `setpriority` was allowed for libdispatch's worker threads).
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
        func securityExposureStaysAt1Point2OrBelowWithEgressOpen() async throws {
            let (exposure, report) = try await exposure(Self.unitText, threshold: 12)
            #expect(exposure <= 1.2, "\(report)")
            // The one system call allowed from @resources, and nothing else of it.
            #expect(report.contains("(e.g. setpriority is allowed)"), "\(report)")
            #expect(!Self.unitText.contains("\nIPAddressDeny="), "the shipped unit must reach Azure as installed")
            #expect(!report.contains("✗ UMask=") && !report.contains("✗ PrivateMounts=") && !report.contains("✗ MemoryDenyWriteExecute="))
        }

        /// The proxy-only drop-in is the documented hardening step: an egress allow list, rated 1.1.
        @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
        func theProxyOnlyDropInAddsTheAllowList() async throws {
            let dropIn = try String(contentsOf: Self.root.appendingPathComponent("systemd/proxy-only-egress.conf"), encoding: .utf8)
            // A drop-in's [Service] lines extend the unit's section; appended, they read the same.
            let lines = dropIn.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("[") }
            let unit = Self.unitText.replacingOccurrences(of: "\n[Install]", with: "\n" + lines.joined(separator: "\n") + "\n\n[Install]")
            let (exposure, report) = try await exposure(unit, threshold: 11)
            #expect(exposure <= 1.1, "\(report)")
            #expect(report.contains("IP address allow list with non-localhost entries"))
        }
    }
}
