import AzureClient
import Foundation
import KeyRotation
import SecretFiles
import Synchronization

/// An application that re-reads its secret files every few milliseconds and authenticates with each
/// against the emulator's data plane of the file's resource type, the way a real client would
/// (`DataPlaneClient`, the call `verify` makes). ACS files are connection strings; the other types'
/// are read in the `json` format, which carries the endpoint and key name beside the key.
///
/// A denial is an invariant violation when the file still holds the denied key, or when the key was
/// read less than `grace` before the denial (keyrotd may only regenerate a key `grace` after it stopped
/// publishing it, and the consumer read it while it was published).
actor Consumer {
    /// A secret file and the resource whose key it holds.
    struct File: Sendable {
        var path: String
        var id: ResourceID
    }

    private let files: [File]
    private let client: DataPlaneClient
    private let transport: AsyncHTTPClientTransport
    private let grace: Double
    private(set) var accepted = 0
    private(set) var denied = 0
    private(set) var violations: [String] = []
    /// When each denial came back.
    private(set) var deniedAt: [Date] = []
    private(set) var malformed: [String] = []
    /// Every key value seen, for the leak scan.
    private(set) var seenSecrets: Set<String> = []
    private var stopped = false

    /// Every consumer's HTTP client stays referenced until the process ends: one that a failing test
    /// left open would otherwise stop the whole test process in AsyncHTTPClient's deinit check,
    /// hiding the failure behind a crash (as `EmulatorHarness` does).
    private static let transports = Mutex<[AsyncHTTPClientTransport]>([])

    /// Consumes `files`.
    init(files: [File], caFile: String?, grace: Duration) {
        self.files = files
        self.transport = AsyncHTTPClientTransport(extraCAFile: caFile)
        Self.transports.withLock { [transport] in $0.append(transport) }
        self.client = DataPlaneClient(transport: transport, extraCAFile: caFile, sleep: { try await Task.sleep(for: $0) })
        self.grace = grace.seconds
    }

    func run(pause: Duration = .milliseconds(5)) async {
        while !stopped && !Task.isCancelled {
            await withTaskGroup(of: Void.self) { group in
                for file in files { group.addTask { await self.check(file) } }
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// Stops the checking loop (the client stays usable for ``finalCheck()``).
    func stop() {
        stopped = true
    }

    /// Stops the checking loop from outside the actor.
    nonisolated func stopNow() {
        Task { await self.stop() }
    }

    /// Closes the HTTP client.
    func close() async {
        stopped = true
        try? await transport.shutdown()
    }

    private func check(_ file: File) async {
        // A file not yet published is no failure: adoption writes it.
        if let bytes = FileManager.default.contents(atPath: file.path) { await check(file, bytes) }
    }

    /// The key material a file holds: an ACS connection string, or the `json` format.
    static func material(_ bytes: Data, id: ResourceID) -> KeyMaterial? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\n") else { return nil }
        if let parsed = ACSDataPlaneClient.parse(Secret(text)) {
            return KeyMaterial(slot: .primary, key: parsed.key, connectionString: Secret(text), endpoint: parsed.endpoint, keyName: "")
        }
        return KeyMaterial(json: Array(bytes))
    }

    private func check(_ file: File, _ bytes: Data) async {
        let readAt = Date()
        let path = file.path
        guard let parsed = Self.material(bytes, id: file.id) else {
            malformed.append("\((path as NSString).lastPathComponent): \(bytes.count) bytes")
            return
        }
        seenSecrets.insert(parsed.key.exposedValue)
        switch await client.check(parsed, id: file.id) {
        case .accepted:
            accepted += 1
        case .denied:
            denied += 1
            let now = Date()
            deniedAt.append(now)
            if FileManager.default.contents(atPath: path) == bytes {
                violations.append("\((path as NSString).lastPathComponent): the published key \(parsed.key.fingerprint) was refused")
            } else if now.timeIntervalSince(readAt) < grace {
                violations.append(
                    "\((path as NSString).lastPathComponent): key \(parsed.key.fingerprint) refused \(now.timeIntervalSince(readAt))s after it was read (grace \(grace)s)"
                )
            }
        case .failed:
            break  // transport trouble is not an authentication verdict
        }
    }

    /// Checks every file once more now and returns the files whose key is refused.
    func finalCheck() async -> [String] {
        var refused: [String] = []
        for file in files {
            guard let bytes = FileManager.default.contents(atPath: file.path), let material = Self.material(bytes, id: file.id) else {
                refused.append("\(file.path): missing or unreadable")
                continue
            }
            if await client.check(material, id: file.id) != .accepted { refused.append(file.path) }
        }
        return refused
    }
}

/// Scans everything a test's processes wrote for secret values.
enum LeakScan {
    /// The files under `directory` (outputs, logs, state) except the secret files and the emulator's
    /// own stdout line (which carries its test identity by design), with any secret they contain.
    ///
    /// Keys and client secrets are base64, so every run of base64 characters in a file is looked up
    /// (each window of a needle's length): linear in the output size, however many keys a run produced.
    static func leaks(in directory: String, secrets: Set<String>, excluding: Set<String>) -> [String] {
        let needles = Set(secrets.filter { $0.count >= 16 }.map { Array($0.utf8) })
        let lengths = Set(needles.map(\.count))
        var found: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let path = directory + "/" + relative
            if excluding.contains(where: { path.hasPrefix($0) }) { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            let bytes = Array(data)
            if contains(bytes, needles: needles, lengths: lengths) { found.append("\(relative) contains a secret value") }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.contains("Bearer ") || text.lowercased().contains("accesskey=") { found.append("\(relative) contains a credential pattern") }
        }
        return found
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 43 || byte == 47 || byte == 61
    }

    private static func contains(_ bytes: [UInt8], needles: Set<[UInt8]>, lengths: Set<Int>) -> Bool {
        guard let shortest = lengths.min() else { return false }
        var start = 0
        while start < bytes.count {
            guard isBase64(bytes[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < bytes.count && isBase64(bytes[end]) { end += 1 }
            if end - start >= shortest {
                for length in lengths where end - start >= length {
                    for offset in start...(end - length) where needles.contains(Array(bytes[offset..<offset + length])) {
                        return true
                    }
                }
            }
            start = end
        }
        return false
    }
}
