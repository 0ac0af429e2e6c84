import Foundation

/// What a tool run by ``Tool/run(_:_:environment:input:)`` left.
public struct ToolResult: Sendable {
    /// The exit status.
    public var status: Int32
    /// Everything written to standard output.
    public var output: Data
    /// Everything written to standard error.
    public var errors: Data
}

/// An outside program a test compares keyrotd with (Python's zoneinfo, man).
public enum Tool {
    /// Runs `executable` to its end on a thread of its own: waiting for it on the cooperative pool
    /// (two threads on a two-core machine) would stall every other suite in the test process.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: Data = Data()
    ) async throws -> ToolResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        let process = Process()
                        process.executableURL = URL(fileURLWithPath: executable)
                        process.arguments = arguments
                        if let environment { process.environment = environment }
                        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
                        process.standardInput = stdin
                        process.standardOutput = stdout
                        process.standardError = stderr
                        try process.run()
                        // Standard error is drained beside standard output, so neither pipe can fill and stall the tool.
                        let errorsRead = DispatchGroup()
                        nonisolated(unsafe) var errors = Data()
                        DispatchQueue.global().async(group: errorsRead) { errors = stderr.fileHandleForReading.readDataToEndOfFile() }
                        stdin.fileHandleForWriting.write(input)
                        try stdin.fileHandleForWriting.close()
                        let output = stdout.fileHandleForReading.readDataToEndOfFile()
                        process.waitUntilExit()
                        errorsRead.wait()
                        return ToolResult(status: process.terminationStatus, output: output, errors: errors)
                    }
                )
            }
        }
    }
}
