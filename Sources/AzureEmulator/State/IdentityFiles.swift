import FoundationEssentials
import Glibc

/// The files an operator's machine would hold for the emulated identities: the certificate and its
/// key (mode 0600), the projected federated token (0600), and the Arc agent's challenge directory
/// (0700). They are the emulator's own test identities, never real ones.
struct IdentityFiles: Sendable {
    /// The directory holding them.
    var directory: String
    /// The client certificate (PEM).
    var certificateFile: String
    /// Its private key (PEM, PKCS#8).
    var privateKeyFile: String
    /// The federated (service account) token.
    var federatedTokenFile: String
    /// Where Arc challenge files are written.
    var arcKeyDirectory: String

    /// Writes the files into `directory` (a new temporary directory when `nil`).
    static func write(_ identities: EmulatedIdentities, to directory: String?, federatedTokenLifetime: Duration) throws -> IdentityFiles {
        let base =
            directory ?? FileManager.default.temporaryDirectory.path + "/keyrotd-emulator-identities-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let files = IdentityFiles(
            directory: base,
            certificateFile: base + "/client-certificate.pem",
            privateKeyFile: base + "/client-key.pem",
            federatedTokenFile: base + "/federated-token",
            arcKeyDirectory: base + "/arc-tokens"
        )
        try FileManager.default.createDirectory(
            atPath: files.arcKeyDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        try writePrivate(identities.certificateApp.certificatePEM, to: files.certificateFile)
        try writePrivate(identities.certificateApp.privateKeyPEM, to: files.privateKeyFile)
        try writeFederatedToken(identities, path: files.federatedTokenFile, lifetime: federatedTokenLifetime)
        return files
    }

    /// Replaces the federated token file with a freshly minted token (atomically, as kubelet does).
    static func writeFederatedToken(_ identities: EmulatedIdentities, path: String, lifetime: Duration) throws {
        try writePrivate(try identities.federatedToken(lifetime: lifetime.seconds), to: path)
    }

    private static func writePrivate(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw IdentityFileError(path: path, errno: errno)
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw IdentityFileError(path: path, errno: errno)
        }
    }
}

/// An identity file could not be written.
struct IdentityFileError: Error, CustomStringConvertible {
    /// The file.
    var path: String
    /// Why.
    var errno: Int32

    var description: String { "cannot write \(path): \(String(cString: strerror(errno)))" }
}
