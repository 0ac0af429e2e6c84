import Foundation
import Glibc

/// A real systemd as PID 1 in `systemd-nspawn`, booted for one test and powered off after it: on the
/// host's root (`-D / --volatile=yes`: the host's /usr, an empty /etc and /var), or on a root file
/// system of its own (`--volatile=overlay`: its changes go to a temporary layer, so the root serves
/// the next test unchanged). Never started any other way: outside nspawn, systemd would take over
/// the machine's cgroups.
struct Container {
    let nspawn: ChildProcess
    let pid1: Int32
    let directory: String

    /// - Parameters:
    ///   - root: the root file system; the host's by default.
    ///   - writable: host directories the container sees as its own copy (an overlay over the host's
    ///     with a temporary upper layer nspawn removes at exit), e.g. /usr for a package to install into.
    static func boot(name: String, root: String = "/", binds: [String], writable: [String] = [], directory: String) async throws -> Container {
        let arguments =
            ["--register=no", "--keep-unit", "--console=passive", "--machine=\(name)", "-D", root]
            + [root == "/" ? "--volatile=yes" : "--volatile=overlay"]
            + binds.map { "--bind-ro=\($0)" } + writable.map { "--overlay=\($0)::\($0)" } + ["--boot", "--", "systemd.firstboot=off"]
        let nspawn = try ChildProcess("/usr/bin/systemd-nspawn", arguments, directory: directory, label: "nspawn")
        let deadline = ContinuousClock.now + .seconds(30)
        var pid1: Int32?
        while ContinuousClock.now < deadline, nspawn.isRunning {
            if pid1 == nil, let children = try? String(contentsOfFile: "/proc/\(nspawn.pid)/task/\(nspawn.pid)/children", encoding: .utf8) {
                pid1 = children.split(separator: " ").first.flatMap { Int32($0) }
            }
            if let pid1 {
                let container = Container(nspawn: nspawn, pid1: pid1, directory: directory)
                let (_, state, _) = try await container.run(["systemctl", "is-system-running"])
                if state.hasPrefix("running") || state.hasPrefix("degraded") { return container }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the container did not boot: \(nspawn.stdout.suffix(2000))")
    }

    /// Runs a command inside the container (all its namespaces), with the environment of a root
    /// shell there rather than the test's: CI's TMPDIR, for one, names a folder the container lacks.
    @discardableResult
    func run(_ command: [String], timeout: Duration = .seconds(60)) async throws -> (Int32, String, String) {
        let environment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"]
        return try await ChildProcess.run(
            "/usr/bin/nsenter",
            ["-t", String(pid1), "-a", "/usr/bin/env", "-i"] + environment + command,
            directory: directory,
            label: "nsenter",
            timeout: timeout
        )
    }

    /// The journal entries `journalctl ARGUMENTS` selects, as JSON objects.
    func journal(_ arguments: [String]) async throws -> [[String: Any]] {
        let (_, out, _) = try await run(["journalctl", "-o", "json", "--no-pager"] + arguments)
        return out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// `systemctl show -p PROPERTY --value`.
    func property(_ name: String, unit: String = "keyrotd.service") async throws -> String {
        try await run(["systemctl", "show", unit, "-p", name, "--value"]).1.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `body` on the container and powers it off however `body` ends; when it succeeds, the
    /// container's whole journal is kept first in `directory/container-journal.json`, for the leak scan.
    func use<T>(keepingJournalIn directory: String, _ body: (Container) async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body(self)
        } catch {
            await powerOff()
            throw error
        }
        let (_, journal, _) = try await run(["journalctl", "-o", "json", "--no-pager"])
        try journal.write(toFile: directory + "/container-journal.json", atomically: true, encoding: .utf8)
        await powerOff()
        return result
    }

    /// Powers the container off and removes the cgroups nspawn leaves behind.
    func powerOff() async {
        _ = try? await run(["systemctl", "poweroff"], timeout: .seconds(10))
        if await nspawn.wait(timeout: .seconds(20)) != 0 { kill(pid1, SIGKILL) }
        for hierarchy in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            for leftover in ["payload", "supervisor"] {
                Self.removeEmptyCgroup("/sys/fs/cgroup/\(hierarchy)/\(leftover)")
            }
        }
    }

    private static func removeEmptyCgroup(_ path: String) {
        // A hierarchy without the leftover has nothing to remove.
        for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + child, isDirectory: &isDirectory), isDirectory.boolValue {
                removeEmptyCgroup(path + "/" + child)
            }
        }
        rmdir(path)
    }
}
