import Foundation
import Glibc

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
final class ChildProcess: Sendable {
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    init(_ executable: String, _ arguments: [String], directory: String, label: String, environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let unique = "\(label)-\(UUID().uuidString.prefix(6))"
        stdoutPath = directory + "/\(unique).stdout"
        stderrPath = directory + "/\(unique).stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

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
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
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
