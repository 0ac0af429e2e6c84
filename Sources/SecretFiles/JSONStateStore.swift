import FoundationEssentials
import Glibc
import KeyRotation

/// Stores each resource's ``ResourceState`` as a small JSON file (`<state_dir>/resources/<name>.json`),
/// replaced atomically and durably on every transition: O(1) work per step.
public struct JSONStateStore: StateStore {
    private let directory: String
    private let writer: AtomicFileWriter

    /// Creates the store under `stateDirectory`, creating `resources/` (mode 0700) if needed.
    public init(stateDirectory: String, writer: AtomicFileWriter = AtomicFileWriter()) throws {
        self.directory = stateDirectory + "/resources"
        self.writer = writer
        try AtomicFileWriter.ensureDirectory(stateDirectory, mode: 0o700)
        try AtomicFileWriter.ensureDirectory(directory, mode: 0o700)
    }

    public func load(_ resource: String) throws -> ResourceState? {
        let name = resource + ".json"
        var info = stat()
        guard lstat("\(directory)/\(name)", &info) == 0 else {
            if errno == ENOENT { return nil }
            throw FileSystemError("read state", path: "\(directory)/\(name)", errno: errno)
        }
        guard let bytes = AtomicFileWriter.read(name, in: directory) else {
            throw FileSystemError("read state", path: "\(directory)/\(name)", errno: EIO, reason: "unreadable (or a symbolic link)")
        }
        do {
            return try Self.decoder.decode(ResourceState.self, from: Data(bytes))
        } catch {
            throw FileSystemError(
                "parse state",
                path: "\(directory)/\(name)",
                errno: 0,
                reason: "not a valid keyrotd state record; move it aside to have the resource adopted afresh"
            )
        }
    }

    public func save(_ state: ResourceState, for resource: String) throws {
        let data = try Self.encoder.encode(state)
        try writer.write(Array(data) + [10], to: resource + ".json", in: directory, mode: 0o600)
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.timeIntervalSince1970)
        }
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: try decoder.singleValueContainer().decode(Double.self))
        }
        return d
    }()
}
