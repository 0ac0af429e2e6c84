import FoundationEssentials
import Glibc
import KeyRotation

extension ConfigurationSchema {
    /// `journal` of `[ha]`.
    public static let haJournal = ConfigurationKey(
        "journal",
        in: [.ha],
        URL.self,
        .url,
        default: .required,
        reload: .restart(\DaemonSettings.highAvailability?.journal),
        "the group's container, https://ACCOUNT.blob.core.windows.net/CONTAINER: the leader's lease and the rotation journal live in it"
    )
    /// `credential` of `[ha]`.
    public static let haCredential = ConfigurationKey(
        "credential",
        in: [.ha],
        CredentialName.self,
        .string,
        default: .described("the only one"),
        reload: .restart(\DaemonSettings.highAvailability?.credential),
        "which [credential.NAME] reaches the container; it needs Storage Blob Data Contributor on it (no account key)"
    )
    /// `node` of `[ha]`.
    public static let haNode = ConfigurationKey(
        "node",
        in: [.ha],
        String.self,
        .string,
        default: .described("the host name"),
        reload: .restart(\DaemonSettings.highAvailability?.node),
        "this node's name in the group, shown in status and as the lease's holder: letters, digits, '-' and '.', at most 63"
    )
    /// `lease_duration` of `[ha]`.
    public static let haLeaseDuration = ConfigurationKey(
        "lease_duration",
        in: [.ha],
        Duration.self,
        .duration(.seconds(15) ... .seconds(60)),
        default: .duration(HighAvailability.Defaults.leaseDuration),
        reload: .restart(\DaemonSettings.highAvailability?.leaseDuration),
        "the leader's lease (Blob Storage allows 15 to 60 s), renewed every quarter of it; a stopped leader is replaced within about this long. Requests time out after at most three quarters of it less 5 s (request_timeout is lowered to that, or refused when set higher)"
    )

    /// The keys of `[ha]`, in the documentation's order.
    static let haKeys = [haJournal, haCredential, haNode, haLeaseDuration]
}

extension HighAvailability {
    /// Reads `[ha]`: a container URL (a path of one segment), a credential, a node name (the host
    /// name by default) and a lease duration; nil when it cannot be built.
    static func read(_ t: inout TableReader) -> HighAvailability? {
        typealias Key = ConfigurationSchema
        defer { t.finish() }
        var journal = t.required(Key.haJournal, as: URL.self)
        if let url = journal, url.path.split(separator: "/").isEmpty || url.query != nil {
            t.error(Key.haJournal, "'\(url.absoluteString)' must name a container: https://ACCOUNT.blob.core.windows.net/CONTAINER")
            journal = nil
        }
        let credential = CredentialName.read(&t, Key.haCredential, nameIt: "name one")
        var node = t.read(Key.haNode, as: String.self) ?? Self.hostName()
        if !isValidNode(node) {
            t.error(Key.haNode, "'\(node)' must be 1-63 letters, digits, '-' and '.' (set node when the host name is not)")
            node = ""
        }
        let lease = t.read(Key.haLeaseDuration, as: Duration.self) ?? Defaults.leaseDuration
        guard let journal, let credential, !node.isEmpty else { return nil }
        return HighAvailability(journal: journal, credential: credential, node: node, leaseDuration: lease)
    }

    /// Whether `name` can name a node (it goes into blob metadata and status lines).
    static func isValidNode(_ name: String) -> Bool {
        (1...63).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
