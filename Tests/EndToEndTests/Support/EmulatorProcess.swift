import AzureClient
import AzureEmulator
import Foundation
import Glibc

/// A running `keyrotd-emulator` and what it printed about itself.
struct EmulatorProcess {
    let child: ChildProcess
    let info: EmulatorInfo
    let directory: String

    static func start(_ arguments: [String], directory: String) async throws -> EmulatorProcess {
        let child = try ChildProcess(
            Binaries.emulator,
            ["--port", "0", "--ca-file", directory + "/emulator-ca.pem"] + arguments,
            directory: directory,
            label: "emulator"
        )
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let line = child.stdout.split(separator: "\n").first, child.stdout.contains("\n") {
                let info = try JSONDecoder().decode(EmulatorInfo.self, from: Data(line.utf8))
                return EmulatorProcess(child: child, info: info, directory: directory)
            }
            if !child.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("emulator did not start: \(child.stderr)")
    }

    /// Writes the client secret (0600) and a keyrotd configuration; returns the configuration path.
    func writeConfiguration(
        every: String,
        grace: String,
        strategy: String = "full",
        resources: Int? = nil,
        requestTimeout: String = "30s",
        retryInitial: String = "1s",
        retryMax: String = "5s",
        armWritesPerSecond: Double? = nil
    ) throws -> String {
        let secret = directory + "/client-secret"
        _ = FileManager.default.createFile(atPath: secret, contents: Data(info.clientSecret.utf8), attributes: [.posixPermissions: 0o600])
        let text = info.keyrotdConfiguration(
            secretFile: secret,
            directory: directory,
            every: every,
            grace: grace,
            strategy: strategy,
            retryInitial: retryInitial,
            retryMax: retryMax,
            requestTimeout: requestTimeout,
            resourceLimit: resources,
            armWritesPerSecond: armWritesPerSecond
        )
        let path = directory + "/keyrotd.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The emulator's counters.
    func stats() async throws -> [String: Int] {
        (try await statsObject()).compactMapValues { $0 as? Int }
    }

    /// A nested counter table of the emulator's stats, e.g. `tokensIssued`.
    func stats(nested key: String) async throws -> [String: Int] {
        (try await statsObject())[key] as? [String: Int] ?? [:]
    }

    private func statsObject() async throws -> [String: Any] {
        let transport = AsyncHTTPClientTransport(extraCAFile: info.caFile)
        defer { Task { try? await transport.shutdown() } }
        let response = try await transport.send(.init(method: "GET", url: URL(string: info.baseURL + "/_emulator/stats")!), timeout: .seconds(5))
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// Every change the emulator carried out, in order (it must run with `--audit`).
    func audit() async throws -> [AuditEvent] {
        let transport = AsyncHTTPClientTransport(extraCAFile: info.caFile)
        defer { Task { try? await transport.shutdown() } }
        let response = try await transport.send(.init(method: "GET", url: URL(string: info.baseURL + "/_emulator/audit")!), timeout: .seconds(10))
        guard response.status == 200 else { throw TestFailure("/_emulator/audit answered \(response.status)") }
        return try JSONDecoder().decode([AuditEvent].self, from: Data(response.body))
    }

    /// POSTs to one of the emulator's control routes (`/_emulator/…`), which answer 204.
    func control(_ pathAndQuery: String) async throws {
        let transport = AsyncHTTPClientTransport(extraCAFile: info.caFile)
        defer { Task { try? await transport.shutdown() } }
        let response = try await transport.send(.init(method: "POST", url: URL(string: info.baseURL + pathAndQuery)!), timeout: .seconds(5))
        guard response.status == 204 else { throw TestFailure("\(pathAndQuery) answered \(response.status)") }
    }

    /// Sends `body` to a control route and returns the JSON object it answered with `status`.
    func control(_ method: String, _ path: String, body: String = "", expecting status: Int) async throws -> [String: Any] {
        let transport = AsyncHTTPClientTransport(extraCAFile: info.caFile)
        defer { Task { try? await transport.shutdown() } }
        let request = HTTPRequestData(
            method: method,
            url: URL(string: info.baseURL + path)!,
            headers: [("Content-Type", "application/json")],
            body: Array(body.utf8)
        )
        let response = try await transport.send(request, timeout: .seconds(5))
        guard response.status == status else { throw TestFailure("\(method) \(path) answered \(response.status)") }
        return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    func stop() async {
        child.signal(SIGTERM)
        await child.wait(timeout: .seconds(10))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
