import FoundationEssentials
import KeyRotation

/// The ``KeyProvider`` of one resource of any ``ResourceType``, through ARM: its keys with the
/// connection string, endpoint and key name consumers need beside them.
///
/// Immutable: the one thing it remembers, the endpoint of a type whose answers do not carry it (a
/// `GET`, kept), is kept in a ``ResourceEndpointCache`` the providers of a daemon share. An actor
/// per resource cost each of 10,000 resources more than its fields.
public final class ARMKeyProvider: KeyProvider {
    private let client: ARMClient
    private let id: ResourceID
    private let pair: ResourceType.KeyPair
    private let apiVersion: String
    private let cloud: AzureCloud
    private let configuredEndpoint: String?
    private let endpoints: ResourceEndpointCache

    /// Creates the provider of resource `id`.
    ///
    /// - Parameters:
    ///   - endpoint: the configured data-plane endpoint, which wins over the type's source.
    ///   - cloud: the credential's cloud, for the types whose endpoint is the cloud's.
    ///   - endpoints: where endpoints read with a `GET` are kept (shared by a daemon's providers).
    public init(
        client: ARMClient,
        id: ResourceID,
        pair: ResourceType.KeyPair,
        apiVersion: String,
        cloud: AzureCloud,
        endpoint: URL? = nil,
        endpoints: ResourceEndpointCache = ResourceEndpointCache()
    ) {
        self.endpoints = endpoints
        self.client = client
        self.id = id
        self.pair = pair
        self.apiVersion = apiVersion
        self.cloud = cloud
        self.configuredEndpoint = endpoint?.absoluteString
    }

    public func listKeys() async throws -> AccessKeys {
        try await complete(try await client.listKeys(id, pair: pair, apiVersion: apiVersion))
    }

    public func regenerateKey(_ slot: KeySlot, accepted: @Sendable (LongRunningOperation) async throws -> Void) async throws -> AccessKeys {
        try await complete(try await client.regenerateKey(id, slot: slot, pair: pair, apiVersion: apiVersion, accepted: accepted))
    }

    public func resumeRegeneration(_ operation: LongRunningOperation) async throws -> LongRunningOperation.Outcome {
        switch try await client.follow(operation, id: id) {
        case .completed: return .completed(try await listKeys())
        case .lost: return .lost
        case .failed(let reason): return .failed(reason)
        }
    }

    /// Adds to each key what consumers need beside it.
    private func complete(_ keys: ARMKeys) async throws -> AccessKeys {
        var result = AccessKeys()
        var listed: [KeySlot: Secret] = [:]
        if case .listAction(let action, let kind) = id.type.connectionString, !keys.isEmpty {
            listed = try await client.connectionStrings(id, action: action, kind: kind, pair: pair, keys: keys, apiVersion: apiVersion)
        }
        for slot in KeySlot.allCases {
            guard let key = keys[slot] else { continue }
            var connectionString = key.connectionString ?? listed[slot]
            // A type whose answers carry connection strings: a key without one is not publishable
            // (a bare key would land in a connection-string file); the machine lists the keys again.
            if case .answer = id.type.connectionString, connectionString == nil { continue }
            let endpoint = try await endpoint(connectionString: connectionString)
            if case .built(let recipe) = id.type.connectionString {
                connectionString = build(recipe, key: key.value, endpoint: endpoint)
            }
            result[slot] = AccessKey(value: key.value, connectionString: connectionString, endpoint: endpoint.url, name: keyName(slot, key))
        }
        return result
    }

    private func keyName(_ slot: KeySlot, _ key: ARMKeys.Key) -> String {
        switch id.type.keyName {
        case .spelling: return id.type.pairs[pair]?[slot].request ?? slot.rawValue
        case .ruleName: return id.name
        case .entryID: return key.id ?? ""
        }
    }

    /// The endpoint: configured, the connection string's, the cloud's, or the resource's (one `GET`, kept).
    private func endpoint(connectionString: Secret?) async throws -> ResourceEndpoint {
        if let configuredEndpoint { return ResourceEndpoint(url: configuredEndpoint) }
        switch id.type.endpoint {
        case .connectionString:
            guard let connectionString, let field = id.type.rules.connectionString?.endpointField else { return ResourceEndpoint(url: "") }
            return ResourceEndpoint(url: (try? ConnectionString(parsing: connectionString.exposedValue))?[field] ?? "")
        case .fixed(let urls):
            return ResourceEndpoint(url: urls[cloud] ?? urls[.azureCloud] ?? "")
        case .nameInDomain(let domains):
            return ResourceEndpoint(url: "https://\(id.resourceName).\(domains[cloud] ?? domains[.azureCloud] ?? "")")
        case .property(let path, let hostOnly, let suffix):
            if let known = await endpoints.endpoint(of: id) { return known }
            let resource = try await client.resource(id, apiVersion: apiVersion)
            guard let value = resource.string(at: path), KeyValueRules.unsafeCharacterProblem(value) == nil else {
                throw ARMError(
                    operation: "get",
                    resource: id.name,
                    status: 200,
                    code: "MalformedResponse",
                    message: "the resource has no usable \(path.joined(separator: ".")); set endpoint = … for it",
                    requestID: nil,
                    clientRequestID: "none",
                    attempts: 1
                )
            }
            let found = ResourceEndpoint(
                url: (hostOnly ? "https://" + value : value) + suffix,
                endpoints: resource.strings(at: Array(path.dropLast())),
                port: resource.integer(at: ["properties", "sslPort"])
            )
            await endpoints.remember(found, for: id)
            return found
        }
    }

    /// The connection string the type's SDKs read, built from the key and the endpoint.
    private func build(_ recipe: ResourceType.ConnectionStringRecipe, key: Secret, endpoint: ResourceEndpoint) -> Secret {
        let host = Self.host(of: endpoint.url)
        switch recipe {
        case .redis:
            return Secret("\(host):\(endpoint.port ?? 6380),password=\(key.exposedValue),ssl=True,abortConnect=False")
        case .storage:
            var text = "DefaultEndpointsProtocol=https;AccountName=\(id.resourceName);AccountKey=\(key.exposedValue);"
            let prefix = "\(id.resourceName).blob.".lowercased()
            if host.lowercased().hasPrefix(prefix), !host.contains(":") {
                text += "EndpointSuffix=\(host.dropFirst(prefix.count))"
            } else {
                // Not NAME.blob.SUFFIX (the emulator's path-style URLs): every endpoint spelled out.
                let services = [("blob", "BlobEndpoint"), ("queue", "QueueEndpoint"), ("table", "TableEndpoint"), ("file", "FileEndpoint")]
                let parts = services.compactMap { service, field in endpoint.endpoints[service].map { "\(field)=\($0)" } }
                text += (parts.isEmpty ? ["BlobEndpoint=\(endpoint.url)"] : parts).joined(separator: ";")
            }
            return Secret(text)
        }
    }

    /// `host[:port]` of a URL.
    private static func host(of url: String) -> String {
        let rest = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? Substring(url)
        return String(rest.prefix { $0 != "/" })
    }
}
