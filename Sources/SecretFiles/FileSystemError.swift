import Glibc

/// A failed file-system operation, naming the operation, the path and the system error.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    /// What was being done (`open`, `fsync`, `rename` …).
    public var operation: String
    /// The path concerned.
    public var path: String
    /// The `errno` value (0 when the failure was a policy refusal).
    public var errno: Int32
    /// Extra explanation, for refusals such as "is a symbolic link".
    public var reason: String?

    /// Creates an error from an operation and an `errno`.
    public init(_ operation: String, path: String, errno: Int32, reason: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.reason = reason
    }

    public var description: String {
        let cause = reason ?? String(cString: strerror(errno))
        return "\(operation) \(path): \(cause)"
    }
}
