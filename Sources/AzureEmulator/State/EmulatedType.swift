import FoundationEssentials

/// One Azure resource type as the emulator serves it: its ARM paths and api-versions, how its
/// regenerate request names a key, the shapes of its answers, whether it regenerates in the
/// background, and its connection strings and properties.
///
/// Written from the REST specs' examples and the management SDKs, independently of keyrotd's
/// `ResourceType`: the emulator is what the official SDKs are tested against, so it must not agree
/// with keyrotd by construction.
public struct EmulatedType: Sendable {
    /// The name `--types` takes (`servicebus`, `servicebus-queues`).
    public var name: String
    /// The service the type belongs to (`servicebus` for its namespaces' and queues' rules): the
    /// data plane's path prefix.
    public var family: String
    /// The resource provider (`Microsoft.ServiceBus`).
    var provider: String
    /// The type segments of the emulated resources' ids (`namespaces`, `authorizationRules`).
    var shape: [String]
    /// The api-versions ARM accepts for it; the first is the one the emulator's ids are shown with.
    var apiVersions: [String]
    /// The list action (`listKeys`, `listAdminKeys`).
    var listAction: String
    /// The regenerate action (`regenerateKey`, `regenerateKeys`, `regenerateAdminKey`).
    var regenerateAction: String
    /// How the request names the key.
    var request: KeyRequest
    /// How answers hold the keys.
    var answer: Answer
    /// Whether a regeneration runs in the background (202 and an operation to poll).
    public var longRunning: Bool
    /// What a new key looks like.
    var keyShape: KeyShape
    /// Whether it has a read-only pair (App Configuration, Cosmos DB).
    var readOnlyPair: Bool
    /// The connection string of a key, if answers carry one.
    var connectionString: (@Sendable (_ resource: EmulatedResource, _ key: String, _ keyID: String, _ base: String) -> String)?
    /// The resource's properties for `GET`, given the data planes' base URL and the Redis TLS port.
    var properties: @Sendable (_ resource: EmulatedResource, _ base: String, _ redisPort: Int) -> JSONValue

    /// How a regenerate request names the key: the accepted spellings of the primary and secondary
    /// key (and of the read-only pair), case-insensitively.
    enum KeyRequest: Sendable {
        /// A body field.
        case field(String, primary: [String], secondary: [String], primaryReadOnly: [String] = [], secondaryReadOnly: [String] = [])
        /// The last path segment.
        case segment(primary: String, secondary: String)
        /// `{"id": …}` with the id `listKeys` gave the key.
        case keyID
    }

    /// How answers hold the keys.
    enum Answer: Sendable {
        /// One object; the field names of the keys (and of the read-only keys).
        case fields(primary: String, secondary: String, primaryReadOnly: String? = nil, secondaryReadOnly: String? = nil, extra: Extra = .none)
        /// Storage's `{"keys": [{"keyName", "value", "permissions", "creationTime"}]}`.
        case storageKeys
        /// App Configuration's `{"value": [ApiKey]}` (and one `ApiKey` for a regeneration).
        case apiKeys
    }

    /// What an answer of fields carries beside the keys.
    enum Extra: Sendable {
        case none
        /// `primaryConnectionString`/`secondaryConnectionString`.
        case connectionStrings
        /// The Service Bus family's `keyName` and connection strings (and aliases where given).
        case accessKeys(aliases: Bool)
        /// Maps' `id` and last-updated times.
        case maps
        /// Batch's `accountName`.
        case batch
    }

    /// What a new key looks like.
    enum KeyShape: Sendable {
        /// Base64 of this many random bytes.
        case base64(bytes: Int)
        /// Letters and digits, this long.
        case alphanumeric(length: Int)
        /// Hex digits, this long.
        case hex(length: Int)
    }

    /// A new key.
    func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        switch keyShape {
        case .base64(let count):
            return Data((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
        case .alphanumeric(let length):
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
        case .hex(let length):
            return String((0..<length).map { _ in Array("0123456789abcdef").randomElement(using: &generator)! })
        }
    }

    /// The names of the `index`th emulated resource (from 1): `acs-001`, `storage001` (Storage
    /// and Batch names are lower-case letters and digits only), `servicebus-001` with the rule `keyrotd`.
    func names(index: Int) -> [String] {
        let number = String(repeating: "0", count: max(0, 3 - String(index).count)) + String(index)
        let prefix = ["communication": "acs-", "storage": "storage", "batch": "batch", "appconfiguration": "appconfig-", "cosmosdb": "cosmos-"]
        let names = [(prefix[name] ?? name + "-") + number]
        switch shape.count {
        case 2: return names + ["keyrotd"]
        case 3: return names + ["orders", "send"]
        default: return names
        }
    }

    /// The ARM type of the resource (`Microsoft.ServiceBus/namespaces/authorizationRules`).
    var armType: String { ([provider] + shape).joined(separator: "/") }
}
