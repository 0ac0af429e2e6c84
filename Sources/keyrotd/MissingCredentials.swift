import ConfigurationFile
import Glibc
import KeyRotation
import Logging

/// Credential files the configuration names in `$CREDENTIALS_DIRECTORY` that systemd did not hand
/// over. keyrotd.service loads its credentials without a path (`LoadCredential=ID`), so systemd
/// starts the service without one it finds in no credential store; keyrotd says so itself, with the
/// path and the fix, instead of systemd's "243/CREDENTIALS" naming neither.
enum MissingCredentials {
    /// One file the configuration wants and did not receive.
    struct Missing {
        /// The `[credential.NAME]` table.
        var credential: String
        /// The path the configuration names.
        var file: String
        /// The credential id (`LoadCredential=ID`).
        var id: String
    }

    /// The files of `configuration`'s credentials that lie in `credentialsDirectory` and do not exist.
    static func find(in configuration: Configuration, credentialsDirectory: String?) -> [Missing] {
        guard let directory = credentialsDirectory, !directory.isEmpty else { return [] }
        return configuration.credentials.values.sorted { $0.name < $1.name }.flatMap { credential -> [Missing] in
            let files: [String]
            switch credential.kind {
            case .clientSecret(let file): files = [file]
            case .clientCertificate(let certificate, let key, _): files = certificate == key ? [certificate] : [certificate, key]
            default: files = []
            }
            return files.compactMap { file in
                guard let id = ServiceCredentials.id(of: file, in: directory), access(file, F_OK) != 0 else { return nil }
                return Missing(credential: credential.name, file: file, id: id)
            }
        }
    }

    /// Logs each missing file as `credential-missing`.
    static func report(_ configuration: Configuration, environment: [String: String], logger: Logger) {
        for missing in find(in: configuration, credentialsDirectory: environment["CREDENTIALS_DIRECTORY"]) {
            let store = ServiceCredentials.credentialStores[0] + "/" + missing.id
            logger.log(
                .credentialMissing,
                "credential \(missing.credential) needs \(missing.file), which systemd did not hand over: put it in \(store) (root, mode 0600) and restart keyrotd",
                [.credential: .string(missing.credential), .file: .string(missing.file), .credentialStore: .string(store)]
            )
        }
    }
}
