import FoundationEssentials

/// The types the emulator serves, from the REST specs' examples (`Azure/azure-rest-api-specs`,
/// `specification/<service>/resource-manager/…/stable/<version>/examples/`) and the management SDKs.
extension EmulatedType {
    /// Every emulated type; `--types all` creates resources of each.
    public static let all: [EmulatedType] = [
        communication, signalR, webPubSub, maps, cognitive, search, eventGrid, eventGridDomains, redis, storage, serviceBus, serviceBusQueues,
        serviceBusTopics, eventHubs, eventHubsEntities, relay, relayHybridConnections, notificationHubs, notificationHubsHubs, appConfiguration,
        cosmosDB, batch,
    ]

    /// The type called `name`.
    public static func named(_ name: String) -> EmulatedType? { all.first { $0.name == name.lowercased() } }

    private static let primarySecondary = KeyRequest.field("keyType", primary: ["primary"], secondary: ["secondary"])
    private static let sharedAccess = KeyRequest.field("keyType", primary: ["primarykey"], secondary: ["secondarykey"])

    private static func tracked(_ resource: EmulatedResource, _ properties: [String: JSONValue], location: String = "westeurope") -> JSONValue {
        var all = properties
        all["provisioningState"] = "Succeeded"
        return .object(all)
    }

    static let communication = EmulatedType(
        name: "communication",
        family: "communication",
        provider: "Microsoft.Communication",
        shape: ["communicationServices"],
        apiVersions: [
            "2026-03-18", "2020-08-20", "2020-08-20-preview", "2021-10-01-preview", "2023-03-31", "2023-04-01", "2023-04-01-preview",
            "2023-06-01-preview", "2025-05-01", "2025-05-01-preview", "2025-09-01",
        ],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: primarySecondary,
        answer: .fields(primary: "primaryKey", secondary: "secondaryKey", extra: .connectionStrings),
        longRunning: false,
        keyShape: .base64(bytes: 64),
        readOnlyPair: false,
        connectionString: { r, key, _, base in "endpoint=\(base)/acs/\(r.name)/;accesskey=\(key)" },
        properties: { r, _, _ in
            tracked(
                r,
                [
                    "hostName": .string("\(r.name).communication.azure.com"), "dataLocation": "Europe", "immutableResourceId": .string(r.immutableID),
                    "version": "0.2.0", "disableLocalAuth": false, "publicNetworkAccess": "Enabled",
                ]
            )
        }
    )

    private static func signalRFamily(_ name: String, segment: String, path: String) -> EmulatedType {
        EmulatedType(
            name: name,
            family: name,
            provider: "Microsoft.SignalRService",
            shape: [segment],
            apiVersions: ["2024-03-01", "2023-02-01", "2024-08-01-preview", "2024-10-01-preview", "2025-01-01-preview"],
            listAction: "listKeys",
            regenerateAction: "regenerateKey",
            request: .field("keyType", primary: ["primary"], secondary: ["secondary"]),
            answer: .fields(primary: "primaryKey", secondary: "secondaryKey", extra: .connectionStrings),
            longRunning: true,
            keyShape: .base64(bytes: 32),
            readOnlyPair: false,
            connectionString: { r, key, _, base in "Endpoint=\(base)/\(path)/\(r.name);AccessKey=\(key);Version=1.0;" },
            properties: { r, base, _ in
                tracked(r, ["hostName": .string(String(base.drop { $0 != "/" }.dropFirst(2))), "externalIP": "127.0.0.1", "disableLocalAuth": false])
            }
        )
    }

    static let signalR = signalRFamily("signalr", segment: "signalR", path: "signalr")
    static let webPubSub = signalRFamily("webpubsub", segment: "webPubSub", path: "webpubsub")

    static let maps = EmulatedType(
        name: "maps",
        family: "maps",
        provider: "Microsoft.Maps",
        shape: ["accounts"],
        apiVersions: ["2023-06-01", "2021-02-01", "2021-12-01-preview", "2024-01-01-preview", "2025-10-01-preview"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .field("keyType", primary: ["primary"], secondary: ["secondary"]),
        answer: .fields(primary: "primaryKey", secondary: "secondaryKey", extra: .maps),
        longRunning: false,
        keyShape: .alphanumeric(length: 84),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, _, _ in tracked(r, ["uniqueId": .string(r.immutableID), "disableLocalAuth": false]) }
    )

    static let cognitive = EmulatedType(
        name: "cognitive",
        family: "cognitive",
        provider: "Microsoft.CognitiveServices",
        shape: ["accounts"],
        apiVersions: ["2026-03-01", "2023-05-01", "2024-10-01", "2025-06-01", "2025-09-01"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .field("keyName", primary: ["key1"], secondary: ["key2"]),
        answer: .fields(primary: "key1", secondary: "key2"),
        longRunning: false,
        keyShape: .alphanumeric(length: 84),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, base, _ in tracked(r, ["endpoint": .string("\(base)/cognitive/\(r.name)/"), "disableLocalAuth": false]) }
    )

    static let search = EmulatedType(
        name: "search",
        family: "search",
        provider: "Microsoft.Search",
        shape: ["searchServices"],
        apiVersions: ["2025-05-01", "2023-11-01", "2024-06-01-preview", "2025-02-01-preview"],
        listAction: "listAdminKeys",
        regenerateAction: "regenerateAdminKey",
        request: .segment(primary: "primary", secondary: "secondary"),
        answer: .fields(primary: "primaryKey", secondary: "secondaryKey"),
        longRunning: false,
        keyShape: .alphanumeric(length: 52),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, _, _ in tracked(r, ["replicaCount": 1, "partitionCount": 1, "status": "running", "hostingMode": "default"]) }
    )

    static let eventGrid = EmulatedType(
        name: "eventgrid",
        family: "eventgrid",
        provider: "Microsoft.EventGrid",
        shape: ["topics"],
        apiVersions: ["2025-02-15", "2022-06-15", "2024-06-01-preview", "2025-04-01-preview"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .field("keyName", primary: ["key1"], secondary: ["key2"]),
        answer: .fields(primary: "key1", secondary: "key2"),
        longRunning: true,
        keyShape: .base64(bytes: 32),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, base, _ in tracked(r, ["endpoint": .string("\(base)/eventgrid/\(r.name)/api/events"), "inputSchema": "EventGridSchema"]) }
    )

    static let redis = EmulatedType(
        name: "redis",
        family: "redis",
        provider: "Microsoft.Cache",
        shape: ["redis"],
        apiVersions: ["2024-11-01", "2023-08-01", "2024-03-01", "2024-04-01-preview"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: primarySecondary,
        answer: .fields(primary: "primaryKey", secondary: "secondaryKey"),
        longRunning: false,
        keyShape: .base64(bytes: 32),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, _, redisPort in
            tracked(r, ["hostName": "127.0.0.1", "port": 6379, "sslPort": .int(redisPort), "enableNonSslPort": false, "redisVersion": "6.0"])
        }
    )

    static let storage = EmulatedType(
        name: "storage",
        family: "storage",
        provider: "Microsoft.Storage",
        shape: ["storageAccounts"],
        apiVersions: ["2025-06-01", "2023-05-01", "2024-01-01", "2025-01-01", "2026-09-01"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .field("keyName", primary: ["key1"], secondary: ["key2"]),
        answer: .storageKeys,
        longRunning: false,
        keyShape: .base64(bytes: 64),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, base, _ in
            // Path-style endpoints, as Azurite serves them: the SDKs take the account from the path for IP hosts.
            let endpoint = JSONValue.string("\(base)/\(r.name)/")
            return tracked(r, ["primaryEndpoints": ["blob": endpoint, "queue": endpoint, "table": endpoint], "allowSharedKeyAccess": true])
        }
    )

    private static func sharedAccessType(_ name: String, provider: String, apiVersions: [String], policyKey: Bool, aliases: Bool) -> EmulatedType {
        EmulatedType(
            name: name,
            family: name,
            provider: provider,
            shape: ["namespaces", "authorizationRules"],
            apiVersions: apiVersions,
            listAction: "listKeys",
            regenerateAction: "regenerateKeys",
            request: policyKey ? .field("policyKey", primary: ["primarykey"], secondary: ["secondarykey"]) : sharedAccess,
            answer: .fields(primary: "primaryKey", secondary: "secondaryKey", extra: .accessKeys(aliases: aliases)),
            longRunning: false,
            keyShape: .base64(bytes: 32),
            readOnlyPair: false,
            connectionString: { r, key, _, base in
                // The namespace's path on the emulator's one host stands for its own host name.
                let authority = base.drop { $0 != "/" }.dropFirst(2)
                let entity = r.names.count == 3 ? ";EntityPath=\(r.names[1])" : ""
                return "Endpoint=sb://\(authority)/\(name)/\(r.names[0])/;SharedAccessKeyName=\(r.name);SharedAccessKey=\(key)\(entity)"
            },
            properties: { r, base, _ in tracked(r, ["serviceBusEndpoint": .string("\(base)/\(name)/\(r.names[0])/"), "status": "Active"]) }
        )
    }

    /// The rules of an entity (`queues/{q}/authorizationRules/{r}`) of a namespace type, `type-SEGMENT`.
    private static func entityRules(_ namespace: EmulatedType, _ segment: String) -> EmulatedType {
        var type = namespace
        type.name = "\(namespace.name)-\(segment.lowercased())"
        type.shape = ["namespaces", segment, "authorizationRules"]
        return type
    }

    static let serviceBusQueues = entityRules(serviceBus, "queues")
    static let serviceBusTopics = entityRules(serviceBus, "topics")
    static let eventHubsEntities = entityRules(eventHubs, "eventhubs")
    static let relayHybridConnections = entityRules(relay, "hybridConnections")
    static let notificationHubsHubs = entityRules(notificationHubs, "notificationHubs")

    static let eventGridDomains: EmulatedType = {
        var type = eventGrid
        type.name = "eventgrid-domains"
        type.shape = ["domains"]
        // Domains_RegenerateKey is not long-running in the spec (Topics_RegenerateKey is).
        type.longRunning = false
        return type
    }()

    static let serviceBus = sharedAccessType(
        "servicebus",
        provider: "Microsoft.ServiceBus",
        apiVersions: ["2024-01-01", "2021-11-01", "2022-10-01-preview", "2026-01-01"],
        policyKey: false,
        aliases: true
    )
    static let eventHubs = sharedAccessType(
        "eventhubs",
        provider: "Microsoft.EventHub",
        apiVersions: ["2024-01-01", "2021-11-01", "2022-10-01-preview", "2024-05-01-preview", "2026-01-01"],
        policyKey: false,
        aliases: true
    )
    static let relay = sharedAccessType(
        "relay",
        provider: "Microsoft.Relay",
        apiVersions: ["2024-01-01", "2021-11-01", "2026-01-01"],
        policyKey: false,
        aliases: false
    )
    static let notificationHubs = sharedAccessType(
        "notificationhubs",
        provider: "Microsoft.NotificationHubs",
        apiVersions: ["2023-09-01", "2017-04-01", "2023-10-01-preview"],
        policyKey: true,
        aliases: false
    )

    static let appConfiguration = EmulatedType(
        name: "appconfiguration",
        family: "appconfiguration",
        provider: "Microsoft.AppConfiguration",
        shape: ["configurationStores"],
        apiVersions: ["2024-06-01", "2023-03-01", "2024-05-01", "2025-02-01-preview"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .keyID,
        answer: .apiKeys,
        longRunning: false,
        keyShape: .base64(bytes: 32),
        readOnlyPair: true,
        connectionString: { r, key, keyID, base in "Endpoint=\(base)/appconfig/\(r.name);Id=\(keyID);Secret=\(key)" },
        properties: { r, base, _ in tracked(r, ["endpoint": .string("\(base)/appconfig/\(r.name)"), "disableLocalAuth": false]) }
    )

    static let cosmosDB = EmulatedType(
        name: "cosmosdb",
        family: "cosmosdb",
        provider: "Microsoft.DocumentDB",
        shape: ["databaseAccounts"],
        apiVersions: ["2025-10-15", "2024-05-15", "2024-11-15", "2025-04-15", "2026-03-15"],
        listAction: "listKeys",
        regenerateAction: "regenerateKey",
        request: .field(
            "keyKind",
            primary: ["primary"],
            secondary: ["secondary"],
            primaryReadOnly: ["primaryreadonly"],
            secondaryReadOnly: ["secondaryreadonly"]
        ),
        answer: .fields(
            primary: "primaryMasterKey",
            secondary: "secondaryMasterKey",
            primaryReadOnly: "primaryReadonlyMasterKey",
            secondaryReadOnly: "secondaryReadonlyMasterKey"
        ),
        longRunning: true,
        keyShape: .base64(bytes: 64),
        readOnlyPair: true,
        connectionString: { r, key, _, base in "AccountEndpoint=\(base)/cosmos/\(r.name)/;AccountKey=\(key);" },
        properties: { r, base, _ in tracked(r, ["documentEndpoint": .string("\(base)/cosmos/\(r.name)/"), "disableLocalAuth": false]) }
    )

    static let batch = EmulatedType(
        name: "batch",
        family: "batch",
        provider: "Microsoft.Batch",
        shape: ["batchAccounts"],
        apiVersions: ["2025-06-01", "2024-07-01", "2024-02-01"],
        listAction: "listKeys",
        regenerateAction: "regenerateKeys",
        request: .field("keyName", primary: ["primary"], secondary: ["secondary"]),
        answer: .fields(primary: "primary", secondary: "secondary", extra: .batch),
        longRunning: false,
        keyShape: .base64(bytes: 64),
        readOnlyPair: false,
        connectionString: nil,
        properties: { r, base, _ in
            let authority = base.drop { $0 != "/" }.dropFirst(2)
            return tracked(r, ["accountEndpoint": .string("\(authority)/batch/\(r.name)"), "poolAllocationMode": "BatchService"])
        }
    )
}
