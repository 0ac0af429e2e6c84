import FoundationEssentials
import KeyRotation
import SecretFiles

/// Tells whether a keyrotd daemon runs, without touching its lock.
enum DaemonProbe {
    /// The pid recorded in the lock file, if that process is alive and is keyrotd.
    static func runningPID(stateDirectory: String) -> Int32? {
        guard let bytes = AtomicFileWriter.read("keyrotd.lock", in: stateDirectory),
            let pid = Int32(String(decoding: bytes, as: UTF8.self).trimmingWhitespace()),
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
            comm.hasPrefix("keyrotd")
        else { return nil }
        return pid
    }
}
