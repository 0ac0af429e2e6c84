import Glibc
import KeyRotation

/// Publishes one resource's key into its secret file, in the configured format, mode and group.
public struct SecretFilePublisher: SecretPublisher {
    private let directory: String
    private let output: String
    private let format: SecretFormat
    private let envName: String
    private let mode: mode_t
    private let group: gid_t?
    private let writer: AtomicFileWriter

    /// Creates the publisher of `resource` into `directory`.
    ///
    /// - Throws: ``FileSystemError`` when the configured group does not exist.
    public init(resource: ResourceConfiguration, directory: String, writer: AtomicFileWriter = AtomicFileWriter()) throws {
        self.directory = directory
        self.output = resource.output
        self.format = resource.format
        self.envName = resource.envName
        self.mode = mode_t(resource.mode)
        if let name = resource.group {
            guard let entry = getgrnam(name) else {
                throw FileSystemError("look up group", path: name, errno: ENOENT, reason: "group '\(name)' does not exist")
            }
            self.group = entry.pointee.gr_gid
        } else {
            self.group = nil
        }
        self.writer = writer
    }

    public func currentDigest() async -> KeyFingerprint? {
        AtomicFileWriter.read(output, in: directory).map { KeyFingerprint(bytes: $0) }
    }

    public func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        let bytes = format.render(material, envName: envName)
        try writer.write(bytes, to: output, in: directory, mode: mode, group: group)
        return KeyFingerprint(bytes: bytes)
    }
}
