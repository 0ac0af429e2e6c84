import FoundationEssentials
import Glibc
import KeyRotation

/// Publishes one resource's key into its secret files, each in its layout, mode and group.
public final class SecretFilePublisher: SecretPublisher {
    private struct Target: Sendable {
        var output: SecretOutput
        var group: gid_t?
    }

    private let directory: String
    /// The resource's main file, inline, and its further files: the array is empty, and allocates
    /// nothing, for most of thousands of resources (an array of one cost each 112 bytes).
    private let first: Target
    private let further: [Target]
    private var targets: [Target] { [first] + further }
    private let writer: AtomicFileWriter
    private let now: @Sendable () -> Date

    /// Creates the publisher of `resource` into `directory`.
    ///
    /// - Throws: ``FileSystemError`` when a configured group does not exist.
    public init(
        resource: ResourceConfiguration,
        directory: String,
        writer: AtomicFileWriter = AtomicFileWriter(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.directory = directory
        let targets = try resource.outputs.map { output in Target(output: output, group: try output.group.map(AtomicFileWriter.group(named:))) }
        self.first = targets[0]
        self.further = Array(targets.dropFirst())
        self.writer = writer
        self.now = now
    }

    public func currentDigest() async -> KeyFingerprint? {
        var contents: [[UInt8]] = []
        for target in targets {
            guard let bytes = AtomicFileWriter.read(target.output.file, in: directory) else { return nil }
            contents.append(bytes)
        }
        return Self.digest(contents)
    }

    /// The secret from the first file that holds it.
    public func recover(_ fingerprint: KeyFingerprint) async -> Secret? {
        for target in targets {
            guard let bytes = AtomicFileWriter.read(target.output.file, in: directory) else { continue }
            if let found = Secret.find(fingerprint, in: String(decoding: bytes, as: UTF8.self)) { return found }
        }
        return nil
    }

    /// Writes every file in turn, each durably; a crash in between leaves the step to be repeated.
    public func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        let at = now()
        var contents: [[UInt8]] = []
        for target in targets {
            let bytes = try target.output.render(material, now: at)
            try writer.write(bytes, to: target.output.file, in: directory, mode: mode_t(target.output.mode), group: target.group)
            contents.append(bytes)
        }
        return Self.digest(contents)
    }

    /// One file's digest is that of its bytes (as records written before several outputs existed
    /// hold); several files' is the digest of their digests.
    private static func digest(_ contents: [[UInt8]]) -> KeyFingerprint {
        if contents.count == 1 { return KeyFingerprint(bytes: contents[0]) }
        return KeyFingerprint(bytes: Array(contents.map { KeyFingerprint(bytes: $0).value }.joined(separator: "\n").utf8))
    }
}
