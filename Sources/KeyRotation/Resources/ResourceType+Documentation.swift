/// The table of supported types in docs/configuration.md, made from the descriptors so it cannot drift from them.
extension ResourceType {
    /// One Markdown row per type: the id shapes, api-version, default output, where the connection
    /// string comes from, whether regenerations are long-running, and the data-plane check.
    public static var markdownTable: String {
        var lines = [
            "| type | id (after `/subscriptions/…/resourceGroups/…/providers/`) | api_version | default output | connection string | 202 + polling | verify |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for type in all {
            let ids = type.shapes.map { shape in
                "`" + type.provider + shape.map { "/\($0)/{…}" }.joined() + "`"
            }
            let pairs = type.pairs.count > 1 ? " (`key_pair`: read-write or read-only)" : ""
            let output = "`\(type.defaultFormat.rawValue)` (`NAME\(type.defaultFormat.defaultExtension)`), `env_name` `\(type.envName)`"
            let row = [
                "`\(type.name)` \(type.title)\(pairs)", ids.joined(separator: "<br>"), type.apiVersion, output, type.connectionString.documentation,
                type.longRunning ? "yes" : "no", type.dataPlane.documentation,
            ]
            lines.append("| " + row.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

extension ResourceType.ConnectionStringSource {
    /// Where it comes from, for the documentation.
    var documentation: String {
        switch self {
        case .none: "none: consumers take `{{key}}` and `{{endpoint}}`"
        case .answer: "from `listKeys`"
        case .listAction(let action, let kind): "from `\(action)` (\(kind))"
        case .built(.storage): "built: `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…`"
        case .built(.redis): "built: `HOST:6380,password=…,ssl=True,abortConnect=False`"
        }
    }
}

extension ResourceType.DataPlaneCheck {
    /// The call `verify` makes, for the documentation.
    var documentation: String {
        switch self {
        case .communicationHMAC: "`GET phoneNumbers`, HMAC-SHA256"
        case .keyHeader(let header, let path, _): "`GET \(path.prefix { $0 != "?" })`, `\(header)`"
        case .keyQuery(let path): "`GET \(path.prefix { $0 != "?" })`, `subscription-key`"
        case .eventGridKey: "`POST` an empty batch, `aeg-sas-key`"
        case .sharedAccessSignature: "`GET` the namespace, `SharedAccessSignature`"
        case .appConfigurationHMAC: "`GET kv`, HMAC-SHA256 with the key id"
        case .cosmosMasterKey: "`GET dbs`, master-key token"
        case .storageSharedKey: "`GET ?comp=list`, Shared Key"
        case .batchSharedKey: "`GET applications`, Shared Key"
        case .accessToken: "`GET` a connection (404), HS256 access token"
        case .redisAuth: "`AUTH` over TLS"
        }
    }
}
