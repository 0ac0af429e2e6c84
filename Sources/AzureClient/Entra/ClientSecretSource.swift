import FoundationEssentials
import Glibc
import KeyRotation
import SystemPackage

/// A service principal with a client secret, read from a file (normally a systemd credential) for
/// every token request, so a replaced secret takes effect without a restart.
///
/// Where keyrotd rotates this secret itself (`own_secret`), the file it keeps the current one in is
/// read first; the configured file is then the bootstrap, used while there is no rotated secret
/// yet or when Entra refuses the rotated one (a restore from an old backup).
public struct ClientSecretSource: TokenSource {
    private let endpoint: EntraTokenEndpoint
    private let secretFile: String?
    private let secret: Secret?
    private let rotatedFile: String?

    /// A secret kept in a file, preferring the rotated one in `rotatedFile` when it exists.
    public init(endpoint: EntraTokenEndpoint, secretFile: String, rotatedFile: String? = nil) {
        self.endpoint = endpoint
        self.secretFile = secretFile
        self.secret = nil
        self.rotatedFile = rotatedFile
    }

    /// A secret handed over in memory (`AZURE_CLIENT_SECRET` for `kind = "auto"`).
    public init(endpoint: EntraTokenEndpoint, secret: Secret) {
        self.endpoint = endpoint
        self.secretFile = nil
        self.secret = secret
        self.rotatedFile = nil
    }

    public var name: String { "service principal \(endpoint.clientID) (client secret)" }

    public func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        if let rotatedFile, access(rotatedFile, F_OK) == 0 {
            do {
                let rotated = try SecretFileReader.read(rotatedFile, what: "rotated client secret", source: name)
                return try await endpoint.requestToken(
                    scope: scope,
                    claims: claims,
                    proof: [("client_secret", rotated.exposedValue)],
                    proofKind: "client secret"
                )
            } catch let error as EntraError where error.error == "invalid_client" && secretFile != nil {
                // Refused (a restore of an old copy): the bootstrap may still work.
            }
        }
        let secret = try secret ?? SecretFileReader.read(secretFile ?? "", what: "client secret", source: name)
        return try await endpoint.requestToken(
            scope: scope,
            claims: claims,
            proof: [("client_secret", secret.exposedValue)],
            proofKind: "client secret"
        )
    }
}

/// Reads small secret files: whole, trimmed of trailing line breaks, never through a surprise.
enum SecretFileReader {
    /// The trimmed contents of `path`, or a ``CredentialError`` naming the file and the fix.
    static func read(_ path: String, what: String, source: String, limit: Int = 64 * 1024) throws -> Secret {
        let data: [UInt8]
        do {
            let file = try FileDescriptor.open(path, .readOnly, options: .closeOnExec)
            defer { try? file.close() }
            data = try file.read(upTo: limit + 1)
        } catch {
            throw CredentialError(
                source: source,
                problem: "cannot read the \(what) file \(path): \(error)",
                advice: "check the path and its permissions (with systemd, LoadCredential=)"
            )
        }
        guard data.count <= limit else {
            throw CredentialError(
                source: source,
                problem: "the \(what) file \(path) is larger than \(limit) bytes",
                advice: "point at the right file"
            )
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        guard !text.isEmpty else {
            throw CredentialError(source: source, problem: "the \(what) file \(path) is empty")
        }
        return Secret(text)
    }
}
