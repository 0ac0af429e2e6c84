/// Every type keyrotd rotates, from `../shared/reference/providers.md` and the api specs' examples.
extension ResourceType {
    /// Every supported type, in the order the documentation lists them.
    public static let all: [ResourceType] = [
        communicationServices, signalR, webPubSub, maps, cognitiveServices, search, eventGrid, redis, storage, serviceBus, eventHubs,
        relay, notificationHubs, appConfiguration, cosmosDB, batch,
    ]

    /// The type called `name` (`servicebus`).
    public static func named(_ name: String) -> ResourceType? {
        all.first { $0.name == name.lowercased() }
    }

    /// `Primary`/`Secondary` in `FIELD`, keys in `primaryKey`/`secondaryKey` and, when the answer
    /// has them, connection strings in `primaryConnectionString`/`secondaryConnectionString`.
    private static func primarySecondary(_ primary: String, _ secondary: String, connectionStrings: Bool) -> [KeyPair: PairSpelling] {
        [
            .readWrite: PairSpelling(
                primary: SlotSpelling(request: primary, key: "primaryKey", connectionString: connectionStrings ? "primaryConnectionString" : nil),
                secondary: SlotSpelling(
                    request: secondary,
                    key: "secondaryKey",
                    connectionString: connectionStrings ? "secondaryConnectionString" : nil
                )
            )
        ]
    }

    private static let base64Keys = KeyValueRules(alphabet: .base64, length: 16...1024, connectionString: nil)
    private static let serviceBusHosts = ["servicebus.windows.net", "servicebus.usgovcloudapi.net", "servicebus.chinacloudapi.cn"]

    /// The shared access rules of the Service Bus family (`Endpoint=sb://NS.servicebus.windows.net/;SharedAccessKeyName=…`).
    private static let sharedAccessRules = KeyValueRules(
        alphabet: .base64,
        length: 16...1024,
        connectionString: KeyValueRules.ConnectionStringShape(
            endpointField: "Endpoint",
            keyField: "SharedAccessKey",
            otherFields: ["SharedAccessKeyName", "EntityPath"],
            schemes: ["sb"],
            hostSuffixes: serviceBusHosts
        )
    )

    private static func sharedAccessType(
        _ name: String,
        _ title: String,
        provider: String,
        entities: [String],
        apiVersion: String,
        requestField: String,
        envName: String
    ) -> ResourceType {
        ResourceType(
            name: name,
            title: title,
            provider: provider,
            shapes: [["namespaces", "authorizationRules"]] + entities.map { ["namespaces", $0, "authorizationRules"] },
            nameRule: NameRule(6...50, .lettersDigitsHyphen),
            apiVersion: apiVersion,
            listAction: "listKeys",
            regenerate: .body(action: "regenerateKeys", field: requestField),
            answer: .fields,
            pairs: primarySecondary("PrimaryKey", "SecondaryKey", connectionStrings: true),
            longRunning: false,
            rules: sharedAccessRules,
            connectionString: .answer,
            endpoint: .connectionString,
            keyName: .ruleName,
            envName: envName,
            dataPlane: .sharedAccessSignature
        )
    }

    /// Azure Communication Services.
    public static let communicationServices = ResourceType(
        name: "communication",
        title: "Azure Communication Services",
        provider: "Microsoft.Communication",
        shapes: [["communicationServices"]],
        nameRule: NameRule(1...63, .lettersDigitsHyphenUnderscore),
        apiVersion: "2026-03-18",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyType"),
        answer: .fields,
        pairs: primarySecondary("Primary", "Secondary", connectionStrings: true),
        longRunning: false,
        rules: KeyValueRules(
            alphabet: .base64,
            length: 16...1024,
            connectionString: KeyValueRules.ConnectionStringShape(
                endpointField: "endpoint",
                keyField: "accesskey",
                hostSuffixes: ["communication.azure.com", "communication.azure.us", "communication.azure.cn"]
            )
        ),
        connectionString: .answer,
        endpoint: .connectionString,
        keyName: .spelling,
        envName: "ACS_CONNECTION_STRING",
        dataPlane: .communicationHMAC
    )

    private static func signalRFamily(_ name: String, _ title: String, segment: String, hosts: [String], envName: String) -> ResourceType {
        ResourceType(
            name: name,
            title: title,
            provider: "Microsoft.SignalRService",
            shapes: [[segment]],
            nameRule: NameRule(3...63, .lettersDigitsHyphen),
            apiVersion: "2024-03-01",
            listAction: "listKeys",
            regenerate: .body(action: "regenerateKey", field: "keyType"),
            answer: .fields,
            pairs: primarySecondary("Primary", "Secondary", connectionStrings: true),
            longRunning: true,
            rules: KeyValueRules(
                alphabet: .base64,
                length: 16...1024,
                connectionString: KeyValueRules.ConnectionStringShape(
                    endpointField: "Endpoint",
                    keyField: "AccessKey",
                    otherFields: ["Version", "Port", "ClientEndpoint"],
                    hostSuffixes: hosts
                )
            ),
            connectionString: .answer,
            endpoint: .connectionString,
            keyName: .spelling,
            envName: envName,
            dataPlane: .accessToken
        )
    }

    /// Azure SignalR Service.
    public static let signalR = signalRFamily(
        "signalr",
        "Azure SignalR Service",
        segment: "signalR",
        hosts: ["service.signalr.net", "signalr.azure.us", "signalr.azure.cn"],
        envName: "Azure__SignalR__ConnectionString"
    )

    /// Azure Web PubSub.
    public static let webPubSub = signalRFamily(
        "webpubsub",
        "Azure Web PubSub",
        segment: "webPubSub",
        hosts: ["webpubsub.azure.com", "webpubsub.azure.us", "webpubsub.azure.cn"],
        envName: "WEBPUBSUB_CONNECTION_STRING"
    )

    /// Azure Maps accounts.
    public static let maps = ResourceType(
        name: "maps",
        title: "Azure Maps",
        provider: "Microsoft.Maps",
        shapes: [["accounts"]],
        nameRule: NameRule(1...98, .lettersDigitsHyphenUnderscore),
        apiVersion: "2023-06-01",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyType"),
        answer: .fields,
        pairs: primarySecondary("primary", "secondary", connectionStrings: false),
        longRunning: false,
        rules: KeyValueRules(alphabet: .alphanumeric, length: 16...1024, connectionString: nil),
        connectionString: .none,
        endpoint: .fixed([.azureCloud: "https://atlas.microsoft.com", .azureUSGovernment: "https://us.atlas.azure.us"]),
        keyName: .spelling,
        envName: "AZURE_MAPS_KEY",
        dataPlane: .keyQuery(path: "map/tileset?api-version=2024-04-01&tilesetId=microsoft.base")
    )

    /// Azure AI services (Cognitive Services) and Azure OpenAI accounts.
    public static let cognitiveServices = ResourceType(
        name: "cognitive",
        title: "Azure AI services / Azure OpenAI",
        provider: "Microsoft.CognitiveServices",
        shapes: [["accounts"]],
        nameRule: NameRule(2...64, .lettersDigitsHyphen),
        apiVersion: "2026-03-01",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyName"),
        answer: .fields,
        pairs: [.readWrite: PairSpelling(primary: SlotSpelling(request: "Key1", key: "key1"), secondary: SlotSpelling(request: "Key2", key: "key2"))],
        longRunning: false,
        rules: KeyValueRules(alphabet: .alphanumeric, length: 16...1024, connectionString: nil),
        connectionString: .none,
        endpoint: .property(["properties", "endpoint"]),
        keyName: .spelling,
        envName: "AZURE_AI_KEY",
        dataPlane: .keyHeader("Ocp-Apim-Subscription-Key", path: "openai/models?api-version=2024-10-21", authenticated: [404])
    )

    /// Azure AI Search admin keys.
    public static let search = ResourceType(
        name: "search",
        title: "Azure AI Search",
        provider: "Microsoft.Search",
        shapes: [["searchServices"]],
        nameRule: NameRule(2...60, .lowercaseDigitsHyphen),
        apiVersion: "2025-05-01",
        listAction: "listAdminKeys",
        regenerate: .pathSegment(action: "regenerateAdminKey"),
        answer: .fields,
        pairs: primarySecondary("primary", "secondary", connectionStrings: false),
        longRunning: false,
        rules: KeyValueRules(alphabet: .alphanumeric, length: 16...1024, connectionString: nil),
        connectionString: .none,
        endpoint: .nameInDomain([.azureCloud: "search.windows.net", .azureUSGovernment: "search.azure.us", .azureChinaCloud: "search.azure.cn"]),
        keyName: .spelling,
        envName: "AZURE_SEARCH_ADMIN_KEY",
        dataPlane: .keyHeader("api-key", path: "indexes?api-version=2024-07-01")
    )

    /// Event Grid topics and domains.
    public static let eventGrid = ResourceType(
        name: "eventgrid",
        title: "Azure Event Grid topics and domains",
        provider: "Microsoft.EventGrid",
        shapes: [["topics"], ["domains"]],
        nameRule: NameRule(3...50, .lettersDigitsHyphen),
        apiVersion: "2025-02-15",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyName"),
        answer: .fields,
        pairs: [.readWrite: PairSpelling(primary: SlotSpelling(request: "key1", key: "key1"), secondary: SlotSpelling(request: "key2", key: "key2"))],
        longRunning: true,
        rules: base64Keys,
        connectionString: .none,
        endpoint: .property(["properties", "endpoint"]),
        keyName: .spelling,
        envName: "EVENTGRID_KEY",
        dataPlane: .eventGridKey
    )

    /// Azure Cache for Redis.
    public static let redis = ResourceType(
        name: "redis",
        title: "Azure Cache for Redis",
        provider: "Microsoft.Cache",
        shapes: [["redis"]],
        nameRule: NameRule(1...63, .lettersDigitsHyphen),
        apiVersion: "2024-11-01",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyType"),
        answer: .fields,
        pairs: primarySecondary("Primary", "Secondary", connectionStrings: false),
        longRunning: false,
        rules: base64Keys,
        connectionString: .built(.redis),
        endpoint: .property(["properties", "hostName"], hostOnly: true),
        keyName: .spelling,
        envName: "REDIS_CONNECTION_STRING",
        dataPlane: .redisAuth
    )

    /// Storage accounts (key1/key2; never the Kerberos keys).
    public static let storage = ResourceType(
        name: "storage",
        title: "Azure Storage accounts",
        provider: "Microsoft.Storage",
        shapes: [["storageAccounts"]],
        nameRule: NameRule(3...24, .lowercaseDigits),
        apiVersion: "2026-09-01",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKey", field: "keyName"),
        answer: .entries(array: "keys", name: "keyName", value: "value", connectionString: nil, id: nil),
        pairs: [.readWrite: PairSpelling(primary: SlotSpelling(request: "key1", key: "key1"), secondary: SlotSpelling(request: "key2", key: "key2"))],
        longRunning: false,
        rules: base64Keys,
        connectionString: .built(.storage),
        endpoint: .property(["properties", "primaryEndpoints", "blob"]),
        keyName: .spelling,
        envName: "AZURE_STORAGE_CONNECTION_STRING",
        dataPlane: .storageSharedKey
    )

    /// Service Bus shared access rules: of a namespace, a queue or a topic.
    public static let serviceBus = sharedAccessType(
        "servicebus",
        "Azure Service Bus",
        provider: "Microsoft.ServiceBus",
        entities: ["queues", "topics"],
        apiVersion: "2024-01-01",
        requestField: "keyType",
        envName: "SERVICEBUS_CONNECTION_STRING"
    )

    /// Event Hubs shared access rules: of a namespace or an event hub.
    public static let eventHubs = sharedAccessType(
        "eventhubs",
        "Azure Event Hubs",
        provider: "Microsoft.EventHub",
        entities: ["eventhubs"],
        apiVersion: "2024-01-01",
        requestField: "keyType",
        envName: "EVENTHUB_CONNECTION_STRING"
    )

    /// Relay shared access rules: of a namespace, a hybrid connection or a WCF relay.
    public static let relay = sharedAccessType(
        "relay",
        "Azure Relay",
        provider: "Microsoft.Relay",
        entities: ["hybridConnections", "wcfRelays"],
        apiVersion: "2024-01-01",
        requestField: "keyType",
        envName: "RELAY_CONNECTION_STRING"
    )

    /// Notification Hubs shared access rules: of a namespace or a hub.
    public static let notificationHubs = sharedAccessType(
        "notificationhubs",
        "Azure Notification Hubs",
        provider: "Microsoft.NotificationHubs",
        entities: ["notificationHubs"],
        apiVersion: "2023-09-01",
        requestField: "policyKey",
        envName: "NOTIFICATIONHUBS_CONNECTION_STRING"
    )

    /// App Configuration stores: the read-write pair or the read-only pair.
    public static let appConfiguration = ResourceType(
        name: "appconfiguration",
        title: "Azure App Configuration",
        provider: "Microsoft.AppConfiguration",
        shapes: [["configurationStores"]],
        nameRule: NameRule(5...50, .lettersDigitsHyphen),
        apiVersion: "2024-06-01",
        listAction: "listKeys",
        regenerate: .listedID(action: "regenerateKey", field: "id"),
        answer: .entries(array: "value", name: "name", value: "value", connectionString: "connectionString", id: "id"),
        pairs: [
            .readWrite: PairSpelling(
                primary: SlotSpelling(request: "Primary", key: "Primary"),
                secondary: SlotSpelling(request: "Secondary", key: "Secondary")
            ),
            .readOnly: PairSpelling(
                primary: SlotSpelling(request: "Primary Read Only", key: "Primary Read Only"),
                secondary: SlotSpelling(request: "Secondary Read Only", key: "Secondary Read Only")
            ),
        ],
        longRunning: false,
        rules: KeyValueRules(
            alphabet: .base64,
            length: 16...1024,
            connectionString: KeyValueRules.ConnectionStringShape(
                endpointField: "Endpoint",
                keyField: "Secret",
                otherFields: ["Id"],
                hostSuffixes: ["azconfig.io", "azconfig.azure.us", "azconfig.azure.cn"]
            )
        ),
        connectionString: .answer,
        endpoint: .connectionString,
        keyName: .entryID,
        envName: "APPCONFIGURATION_CONNECTION_STRING",
        dataPlane: .appConfigurationHMAC
    )

    /// Cosmos DB accounts: the read-write pair or the read-only pair.
    public static let cosmosDB: ResourceType = {
        var type = ResourceType(
            name: "cosmosdb",
            title: "Azure Cosmos DB",
            provider: "Microsoft.DocumentDB",
            shapes: [["databaseAccounts"]],
            nameRule: NameRule(3...44, .lowercaseDigitsHyphen),
            apiVersion: "2025-10-15",
            listAction: "listKeys",
            regenerate: .body(action: "regenerateKey", field: "keyKind"),
            answer: .fields,
            pairs: [
                .readWrite: PairSpelling(
                    primary: SlotSpelling(request: "primary", key: "primaryMasterKey"),
                    secondary: SlotSpelling(request: "secondary", key: "secondaryMasterKey")
                ),
                .readOnly: PairSpelling(
                    primary: SlotSpelling(request: "primaryReadonly", key: "primaryReadonlyMasterKey"),
                    secondary: SlotSpelling(request: "secondaryReadonly", key: "secondaryReadonlyMasterKey")
                ),
            ],
            longRunning: true,
            rules: KeyValueRules(
                alphabet: .base64,
                length: 16...1024,
                connectionString: KeyValueRules.ConnectionStringShape(
                    endpointField: "AccountEndpoint",
                    keyField: "AccountKey",
                    hostSuffixes: ["documents.azure.com", "documents.azure.us", "documents.azure.cn"]
                )
            ),
            connectionString: .listAction("listConnectionStrings", type: "Sql"),
            endpoint: .connectionString,
            keyName: .spelling,
            envName: "COSMOS_CONNECTION_STRING",
            dataPlane: .cosmosMasterKey
        )
        // Its regeneration answers 200 without a body (or 202).
        type.regenerateAnswersKeys = false
        return type
    }()

    /// Batch accounts.
    public static let batch = ResourceType(
        name: "batch",
        title: "Azure Batch",
        provider: "Microsoft.Batch",
        shapes: [["batchAccounts"]],
        nameRule: NameRule(3...24, .lowercaseDigits),
        apiVersion: "2025-06-01",
        listAction: "listKeys",
        regenerate: .body(action: "regenerateKeys", field: "keyName"),
        answer: .fields,
        pairs: [
            .readWrite: PairSpelling(
                primary: SlotSpelling(request: "Primary", key: "primary"),
                secondary: SlotSpelling(request: "Secondary", key: "secondary")
            )
        ],
        longRunning: false,
        rules: base64Keys,
        connectionString: .none,
        endpoint: .property(["properties", "accountEndpoint"], hostOnly: true),
        keyName: .spelling,
        envName: "AZURE_BATCH_KEY",
        dataPlane: .batchSharedKey
    )
}
