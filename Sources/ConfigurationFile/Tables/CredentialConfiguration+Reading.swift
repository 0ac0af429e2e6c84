import FoundationEssentials
import KeyRotation

extension ConfigurationSchema {
    /// `kind`.
    public static let credentialKind = ConfigurationKey(
        "kind",
        in: [.credential],
        CredentialKind.self,
        .choice(CredentialKind.self),
        default: .string(CredentialKind.servicePrincipal.rawValue),
        "how keyrotd proves its identity (docs/configuration.md, \"Azure identities\")"
    )
    /// `cloud`.
    public static let cloud = ConfigurationKey(
        "cloud",
        in: [.credential],
        AzureCloud.self,
        .choice(AzureCloud.self),
        default: .string(AzureCloud.azureCloud.rawValue),
        "the Azure cloud, which sets authority, arm_endpoint and scope"
    )
    /// `authority`.
    public static let authority = ConfigurationKey(
        "authority",
        in: [.credential],
        URL.self,
        .url,
        default: .described("the cloud's (`https://login.microsoftonline.com`)"),
        "the Entra ID host"
    )
    /// `arm_endpoint`.
    public static let armEndpoint = ConfigurationKey(
        "arm_endpoint",
        in: [.credential],
        URL.self,
        .url,
        default: .described("the cloud's (`https://management.azure.com`)"),
        "the ARM host"
    )
    /// `graph_endpoint`.
    public static let graphEndpoint = ConfigurationKey(
        "graph_endpoint",
        in: [.credential],
        URL.self,
        .url,
        default: .described("the cloud's (`https://graph.microsoft.com`)"),
        "the Microsoft Graph host, for [[application]] entries; Graph tokens are asked for <graph_endpoint>/.default"
    )
    /// `scope`.
    public static let scope = ConfigurationKey(
        "scope",
        in: [.credential],
        String.self,
        .string,
        default: .described("the cloud's, or `<arm_endpoint>/.default` when that is set"),
        "the OAuth scope of ARM tokens"
    )
    /// `tenant`.
    public static let tenant = ConfigurationKey(
        "tenant",
        in: [.credential],
        only: ["service-principal", "workload-identity"],
        String.self,
        .string,
        default: .described("required (workload identity: `AZURE_TENANT_ID`)"),
        "the Entra ID tenant id or domain"
    )
    /// `client_id`.
    public static let clientID = ConfigurationKey(
        "client_id",
        in: [.credential],
        only: ["service-principal", "managed-identity", "workload-identity"],
        String.self,
        .string,
        default: .described("required (managed identity: system-assigned; workload identity: `AZURE_CLIENT_ID`)"),
        "the app registration, or the user-assigned managed identity"
    )
    /// `client_secret_file`.
    public static let clientSecretFile = ConfigurationKey(
        "client_secret_file",
        in: [.credential],
        only: ["service-principal"],
        ConfigurationPath.self,
        .path,
        default: .described("this or `certificate_file`"),
        "the file holding the client secret, not readable by others, read for every token; the secret itself is refused in keyrotd.toml"
    )
    /// `certificate_file`.
    public static let certificateFile = ConfigurationKey(
        "certificate_file",
        in: [.credential],
        only: ["service-principal"],
        ConfigurationPath.self,
        .path,
        default: .described("this or `client_secret_file`"),
        "PEM certificate (and key, when private_key_file is not given) that signs a client assertion"
    )
    /// `private_key_file`.
    public static let privateKeyFile = ConfigurationKey(
        "private_key_file",
        in: [.credential],
        only: ["service-principal"],
        ConfigurationPath.self,
        .path,
        default: .described("`certificate_file`"),
        "PEM RSA private key, unencrypted, not readable by others"
    )
    /// `assertion_algorithm`.
    public static let assertionAlgorithm = ConfigurationKey(
        "assertion_algorithm",
        in: [.credential],
        only: ["service-principal"],
        CredentialConfiguration.AssertionAlgorithm.self,
        .choice(CredentialConfiguration.AssertionAlgorithm.self),
        default: .string(CredentialConfiguration.AssertionAlgorithm.ps256.rawValue),
        "PS256 (x5t#S256) or RS256 (x5t, SHA-1; ADFS and older setups)"
    )
    /// `object_id`.
    public static let objectID = ConfigurationKey(
        "object_id",
        in: [.credential],
        only: ["managed-identity"],
        String.self,
        .string,
        default: .none,
        "the user-assigned managed identity by object id (one of client_id, object_id, resource_id)"
    )
    /// `resource_id`.
    public static let managedIdentityResourceID = ConfigurationKey(
        "resource_id",
        in: [.credential],
        only: ["managed-identity"],
        String.self,
        .string,
        default: .none,
        "the user-assigned managed identity by ARM resource id"
    )
    /// `token_file`.
    public static let tokenFile = ConfigurationKey(
        "token_file",
        in: [.credential],
        only: ["workload-identity"],
        ConfigurationPath.self,
        .path,
        default: .described("`AZURE_FEDERATED_TOKEN_FILE`"),
        "the projected service account token, re-read for every token request"
    )

    /// The keys of `[credential.NAME]`, in the documentation's order.
    static let credentialKeys = [
        credentialKind, cloud, authority, armEndpoint, graphEndpoint, scope, tenant, clientID, clientSecretFile, certificateFile, privateKeyFile,
        assertionAlgorithm, objectID, managedIdentityResourceID, tokenFile,
    ]
}

extension CredentialConfiguration {
    /// Reads `[credential.NAME]`; nil when it has errors. `rotatedSecret` is where keyrotd keeps
    /// the secret it rotated for this credential, if it does: while that file exists, the
    /// configured secret file is only the bootstrap, and need not be there.
    static func read(_ t: inout TableReader, name: String, rotatedSecret: String) -> CredentialConfiguration? {
        typealias Key = ConfigurationSchema
        defer {
            t.finish { key in
                let owners = key.variants.sorted().map { "'\($0)'" }.joined(separator: " or ")
                return "applies only to kind = \(owners), not '\(t.variant ?? "")'"
            }
        }
        if t.table["client_secret"] != nil {
            t.accept("client_secret")
            t.document.error(
                "\(t.keyPath).client_secret",
                "secrets never go in the configuration file; put it in a file and name it with client_secret_file"
            )
        }
        let chosenKind = t.contains(Key.credentialKind) ? t.read(Key.credentialKind, as: CredentialKind.self) : .servicePrincipal
        guard let chosenKind else { return nil }
        t.variant = chosenKind.rawValue
        let cloud = t.read(Key.cloud, as: AzureCloud.self) ?? .azureCloud
        let authority = t.read(Key.authority, as: URL.self)
        let arm = t.read(Key.armEndpoint, as: URL.self)
        let graph = t.read(Key.graphEndpoint, as: URL.self)
        var scope = t.read(Key.scope, as: String.self)
        if scope?.isEmpty ?? false { scope = nil }
        if scope == nil, let arm {
            var base = arm.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            scope = base + "/.default"
        }
        let kind: Kind
        var tenant: String?
        var clientID: String?
        switch chosenKind {
        case .servicePrincipal:
            tenant = readTenant(&t, required: true)
            clientID = t.required(Key.clientID, as: String.self)
            guard let material = readServicePrincipal(&t, rotatedSecret: rotatedSecret) else { return nil }
            kind = material
        case .managedIdentity:
            let chosen: [UserAssignedIdentity] = [
                t.read(Key.clientID, as: String.self).map { .clientID($0) },
                t.read(Key.objectID, as: String.self).map { .objectID($0) },
                t.read(Key.managedIdentityResourceID, as: String.self).map { .resourceID($0) },
            ].compactMap { $0 }
            if chosen.count > 1 { t.error("name a user-assigned identity by one of client_id, object_id or resource_id, not several") }
            kind = .managedIdentity(chosen.first)
        case .workloadIdentity:
            tenant = readTenant(&t, required: false)
            clientID = t.read(Key.clientID, as: String.self)
            let tokenFile = t.read(Key.tokenFile, as: ConfigurationPath.self)?.string
            if let tokenFile, !tokenFile.contains("${") { checkReadable(tokenFile, &t, Key.tokenFile) }
            kind = .workloadIdentity(tokenFile: tokenFile)
        case .auto:
            kind = .auto
        }
        guard !t.hasErrors else { return nil }
        return CredentialConfiguration(
            name: name,
            tenant: tenant,
            clientID: clientID,
            kind: kind,
            cloud: cloud,
            authorityHost: authority,
            armEndpoint: arm,
            graphEndpoint: graph,
            scope: scope
        )
    }

    /// `tenant`: an id or a domain, never a path.
    private static func readTenant(_ t: inout TableReader, required: Bool) -> String? {
        let key = ConfigurationSchema.tenant
        guard let tenant = required ? t.required(key, as: String.self) : t.read(key, as: String.self) else { return nil }
        guard !tenant.isEmpty, !tenant.contains("/") else {
            t.error(key, "must be a tenant id or domain without '/'")
            return nil
        }
        return tenant
    }

    /// A service principal's secret file, or its certificate and key: one of the two, checked on this host.
    private static func readServicePrincipal(_ t: inout TableReader, rotatedSecret: String) -> Kind? {
        typealias Key = ConfigurationSchema
        let secretFile = t.read(Key.clientSecretFile, as: ConfigurationPath.self)?.string
        let certificateFile = t.read(Key.certificateFile, as: ConfigurationPath.self)?.string
        let algorithm = t.read(Key.assertionAlgorithm, as: AssertionAlgorithm.self)
        let keyFile = t.read(Key.privateKeyFile, as: ConfigurationPath.self)?.string
        switch (secretFile, certificateFile) {
        case (let secretFile?, nil):
            if t.contains(Key.assertionAlgorithm) { t.error(Key.assertionAlgorithm, "applies only with certificate_file") }
            if t.contains(Key.privateKeyFile) { t.error(Key.privateKeyFile, "applies only with certificate_file") }
            if t.document.fileSystem.status(of: rotatedSecret, followingLinks: false)?.kind == .regular {
                t.warning(
                    Key.clientSecretFile,
                    "superseded: keyrotd signs in with the secret it rotated, in \(rotatedSecret); this bootstrap file is used only if that one is refused"
                )
            } else {
                checkSecretFile(secretFile, &t, Key.clientSecretFile)
            }
            return .clientSecret(file: secretFile)
        case (nil, let certificateFile?):
            let keyFile = keyFile ?? certificateFile
            if keyFile != certificateFile { checkReadable(certificateFile, &t, Key.certificateFile) }
            checkSecretFile(keyFile, &t, keyFile == certificateFile ? Key.certificateFile : Key.privateKeyFile)
            return .clientCertificate(certificateFile: certificateFile, privateKeyFile: keyFile, algorithm: algorithm ?? .ps256)
        case (nil, nil):
            if !t.contains(Key.clientSecretFile) && !t.contains(Key.certificateFile) {
                t.error("a service principal needs client_secret_file or certificate_file")
            }
            return nil
        case (_?, _?):
            t.error(Key.certificateFile, "give either client_secret_file or certificate_file, not both")
            return nil
        }
    }

    private static func checkReadable(_ file: String, _ t: inout TableReader, _ key: ConfigurationKey) {
        guard let file = onDisk(file, &t, key) else { return }
        if !t.document.fileSystem.isAccessible(file, for: .read) { t.error(key, "'\(file)' does not exist or is not readable by this user") }
    }

    /// A file with a secret: a regular file (through a link, if any), not readable by others, readable by keyrotd.
    private static func checkSecretFile(_ file: String, _ t: inout TableReader, _ key: ConfigurationKey) {
        guard let file = onDisk(file, &t, key) else { return }
        let files = t.document.fileSystem
        guard let link = files.status(of: file, followingLinks: false) else {
            t.error(key, "'\(file)' does not exist: create it, mode 0600")
            return
        }
        guard let status = link.kind == .symbolicLink ? files.status(of: file, followingLinks: true) : link else {
            t.error(key, "'\(file)' is a dangling symbolic link")
            return
        }
        if status.kind != .regular {
            t.error(key, "'\(file)' is not a regular file")
        } else if status.mode & 0o004 != 0 {
            t.error(key, "'\(file)' is readable by others (mode \(ConfigurationKey.octal(status.mode))): run chmod 0600")
        } else if !files.isAccessible(file, for: .read) {
            t.error(key, "'\(file)' is not readable by this user")
        }
    }

    /// The file to check on this host for a credential file, or nil when there is none to check.
    ///
    /// `${CREDENTIALS_DIRECTORY}/ID` is, for the service, what its `LoadCredential=ID` hands over:
    /// where that variable is not set (`check` in a shell), that source is checked instead. Where it
    /// is set (the service itself) and the file is missing, systemd skipped a credential it did not
    /// find; the daemon names it (`credential-missing`) rather than refuse to start.
    private static func onDisk(_ file: String, _ t: inout TableReader, _ key: ConfigurationKey) -> String? {
        let document = t.document
        let files = document.fileSystem
        if let directory = document.environment["CREDENTIALS_DIRECTORY"], file.hasPrefix(directory + "/"), !files.isAccessible(file, for: .exists) {
            return nil
        }
        guard file.contains("${") else { return file }
        guard let id = ServiceCredentials.id(of: file, in: "${CREDENTIALS_DIRECTORY}") else {
            t.warning(key, "cannot check '\(file)': an environment variable in it is not set here")
            return nil
        }
        let handOver: ServiceCredentials
        switch document.serviceCredentials {
        case .success(let read): handOver = read
        case .failure(let reason):
            t.warning(
                key,
                "cannot check '\(file)': CREDENTIALS_DIRECTORY is not set here and keyrotd.service's LoadCredential= could not be read: \(reason)"
            )
            return nil
        case nil:
            t.warning(key, "cannot check '\(file)': CREDENTIALS_DIRECTORY is not set here (keyrotd check reads what keyrotd.service hands over)")
            return nil
        }
        let unit = handOver.unit
        switch handOver.source(of: id, in: files) {
        case .notLoaded:
            t.error(key, "\(unit) hands over no credential '\(id)': add LoadCredential=\(id) (systemctl edit \(unit)), or name another file")
            return nil
        case .missing(let paths):
            let looked = paths.count == 1 ? "'\(paths[0])' does not exist" : "none of \(paths.joined(separator: ", ")) exists"
            t.error(key, "\(unit) cannot load credential '\(id)': \(looked); put it in \(paths[0]) (root, mode 0600)")
            return nil
        case .found(let source):
            // A directory or a socket is a valid source too; only a file has a mode worth checking.
            return files.status(of: source, followingLinks: true)?.kind == .regular ? source : nil
        }
    }
}
