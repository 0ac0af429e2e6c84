import FoundationEssentials
import Glibc
import KeyRotation

/// Stores each resource's ``ResourceState`` as a small JSON file (`<state_dir>/resources/<name>.json`),
/// replaced atomically and durably on every transition: O(1) work per step. Followers' records live
/// the same way under `<state_dir>/followers/`.
public struct JSONStateStore: StateStore {
    private let directory: String
    private let writer: AtomicFileWriter

    /// Creates the store of `kind` (`resources`, `followers`) under `stateDirectory`, creating both
    /// (mode 0700) if needed, unless `create` is false: `keyrotd status`, run as root, must not make
    /// directories the daemon's user then cannot write to.
    public init(stateDirectory: String, kind: String = "resources", create: Bool = true, writer: AtomicFileWriter = AtomicFileWriter()) throws {
        self.directory = stateDirectory + "/" + kind
        self.writer = writer
        guard create else { return }
        try AtomicFileWriter.ensureDirectory(stateDirectory, mode: 0o700)
        try AtomicFileWriter.ensureDirectory(directory, mode: 0o700)
    }

    public func load(_ resource: String) throws -> ResourceState? { try load(ResourceState.self, resource) }

    public func save(_ state: ResourceState, for resource: String) throws { try save(state as any Encodable, for: resource) }

    /// The record of `record` (a resource's or follower's name), or `nil` when there is none.
    public func load<Record: Decodable>(_ type: Record.Type, _ record: String) throws -> Record? {
        let name = record + ".json"
        var info = stat()
        guard lstat("\(directory)/\(name)", &info) == 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError("read state", path: "\(directory)/\(name)", errno: errno)
        }
        guard let bytes = AtomicFileWriter.read(name, in: directory) else {
            throw FileSystemError("read state", path: "\(directory)/\(name)", errno: EIO, reason: "unreadable (or a symbolic link)")
        }
        do {
            return try RecordCoding.decoder.decode(Record.self, from: Data(bytes))
        } catch let newer as ResourceState.UnknownFormat {
            throw FileSystemError("read state", path: "\(directory)/\(name)", errno: 0, reason: newer.description)
        } catch {
            throw FileSystemError(
                "parse state",
                path: "\(directory)/\(name)",
                errno: 0,
                reason: "not a valid keyrotd state record; move it aside to have it made afresh"
            )
        }
    }

    /// Durably stores `value` as the record of `record`.
    public func save(_ value: any Encodable, for record: String) throws {
        let data = try RecordCoding.encoder.encode(value)
        try writer.write(Array(data) + [10], to: record + ".json", in: directory, mode: 0o600)
    }
}
