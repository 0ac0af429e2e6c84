import Foundation
import Glibc
import Synchronization

/// Where the built executables are: `KEYROTD_BIN_DIR`, or the package's `.build/debug`.
enum Binaries {
    static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["KEYROTD_BIN_DIR"] { return dir }
        return EndToEnd.repositoryRoot + "/.build/debug"
    }

    static var keyrotd: String { directory + "/keyrotd" }
    static var emulator: String { directory + "/keyrotd-emulator" }
}

/// A child process whose stdout and stderr go to files in the test's folder (kept for the leak scan).
///
/// Started with `posix_spawn`, not Foundation's `Process`: on Swift 6.3.1 `Process.run()` crashes now
/// and then in `findMaximumOpenFromProcSelfFD()`, a read past a `dirent` (swift-corelibs-foundation
/// #5472), which took a whole test run down. Like `Process`, the child gets default signal
/// dispositions, an empty signal mask (libdispatch blocks signals in the threads this may run on)
/// and none of the test's descriptors but its standard ones.
final class ChildProcess: Sendable {
    let pid: Int32
    let stdoutPath: String
    let stderrPath: String
    /// The wait status, once reaped.
    private let reaped = Mutex<Int32?>(nil)

    init(_ executable: String, _ arguments: [String], directory: String, label: String, environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let unique = "\(label)-\(UUID().uuidString.prefix(6))"
        stdoutPath = directory + "/\(unique).stdout"
        stderrPath = directory + "/\(unique).stderr"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = Self.addCloseFrom(&actions, 3)
        _ = Self.addChdir(&actions, directory)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        self.pid = pid
    }

    // glibc's (2.34, 2.29) file actions to close every inherited descriptor and to change directory,
    // declared only with _GNU_SOURCE, which Swift's Glibc module is not built with.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addCloseFrom = unsafeBitCast(
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")!,
        to: AddCloseFrom.self
    )
    private static let addChdir = unsafeBitCast(
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")!,
        to: AddChdir.self
    )

    /// Whether the child still runs (reaps it when it has ended).
    var isRunning: Bool {
        reaped.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
            status = raw
            return false
        }
    }

    /// The exit status, or the signal that ended it (as `Process` reports it); -1 while it runs.
    var terminationStatus: Int32 {
        guard !isRunning, let raw = reaped.withLock({ $0 }) else { return -1 }
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Whether the process is stopped (`SIGSTOP`): state `T` in `/proc/PID/stat`, after the
    /// command name in parentheses.
    var isStopped: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first == "T"
    }

    /// The names of the process's threads (the kernel keeps the last 15 characters of each).
    func threadNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").map {
            try String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Waits for exit (polling, so the test's task is not blocked), or kills after `timeout`.
    @discardableResult
    func wait(timeout: Duration = .seconds(30)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        }
        return terminationStatus
    }

    /// Runs a command to completion and returns (status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String], directory: String, label: String, timeout: Duration = .seconds(60)) async throws -> (
        Int32, String, String
    ) {
        let child = try ChildProcess(executable, arguments, directory: directory, label: label)
        let status = await child.wait(timeout: timeout)
        return (status, child.stdout, child.stderr)
    }
}

/// A folder per test, kept under the build directory so CI can show it on failure.
func testDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "keyrotd-e2e/\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return path
}
