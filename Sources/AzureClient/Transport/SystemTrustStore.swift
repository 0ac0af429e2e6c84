import FoundationEssentials
import Glibc
import NIOSSL
import SystemPackage

/// The system's trust roots where the TLS library looks for them on Linux: the first bundle file that
/// exists, and the first directory (swift-nio-ssl's search order). When neither exists the library
/// fails before it reads `tls_ca_file`, with an empty error stack; this names what is missing instead.
public struct SystemTrustStore: Sendable {
    /// Bundle files, first found wins (Debian's, then Fedora's).
    public var bundleFiles: [String]
    /// Hashed certificate directories, first found wins.
    public var directories: [String]
    private let readFile: @Sendable (String) throws -> [UInt8]

    /// The store as the TLS library searches for it on Linux.
    public static let system = SystemTrustStore(
        bundleFiles: ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"],
        directories: ["/etc/ssl/certs"]
    )

    /// Creates a store searched at the given paths; `readFile` reads a bundle (tests make it fail).
    public init(
        bundleFiles: [String],
        directories: [String],
        readFile: @escaping @Sendable (String) throws -> [UInt8] = SystemTrustStore.read
    ) {
        self.bundleFiles = bundleFiles
        self.directories = directories
        self.readFile = readFile
    }

    /// What is wrong with the store, naming the file or directory and the fix; nil when it holds
    /// at least one certificate the TLS library can load.
    public func problem() -> String? {
        let fix = "install or reinstall Debian's ca-certificates package (apt-get install --reinstall ca-certificates)"
        let bundle = bundleFiles.first { Self.isType($0, S_IFREG) }
        let directory = directories.first { Self.isType($0, S_IFDIR) }
        if let bundle {
            let bytes: [UInt8]
            do {
                bytes = try readFile(bundle)
            } catch {
                return "the system trust store \(bundle) cannot be read (\(error)): make it readable by keyrotd's user, or \(fix)"
            }
            if (try? NIOSSLCertificate.fromPEMBytes(bytes))?.isEmpty == false { return nil }
            return "the system trust store \(bundle) holds no usable certificate: \(fix)"
        }
        guard let directory else {
            let looked = (bundleFiles + directories).joined(separator: ", ")
            return "there is no system trust store (none of \(looked) exists): \(fix)"
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return "the system trust store \(directory) cannot be listed: make it readable by keyrotd's user, or \(fix)"
        }
        // The library reads only c_rehash's links (8 hex digits, '.', a number) in a directory.
        let hashed = entries.contains { name in
            let parts = name.split(separator: ".")
            return parts.count == 2 && parts[0].count == 8 && parts[0].allSatisfy(\.isHexDigit) && Int(parts[1]) != nil
        }
        return hashed ? nil : "the system trust store \(directory) holds no hashed certificate: \(fix)"
    }

    /// The explanation for a TLS failure when the store is the cause, else nil.
    static func explain(_ error: any Error) -> String? {
        guard error is NIOSSLError || String(describing: type(of: error)).contains("BoringSSL") else { return nil }
        return system.problem()
    }

    /// Reads a bundle file, at most 16 MiB (Debian's is about 220 KB).
    public static func read(_ path: String) throws -> [UInt8] {
        let file = try FileDescriptor.open(path, .readOnly, options: .closeOnExec)
        defer { try? file.close() }
        return try file.read(upTo: 16 << 20)
    }

    private static func isType(_ path: String, _ type: mode_t) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == type
    }
}
