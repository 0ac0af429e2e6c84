/// One Azure resource type with two keys, described as data: how its id looks, which ARM calls
/// read and regenerate its keys and how their answers spell them, what its keys and connection
/// strings look like, where its endpoint comes from and what its consumers read.
///
/// Everything that differs between types is here, so the ARM client, the configuration check and
/// the secret files have no branch per type: adding a type is adding one descriptor to
/// ``ResourceType/all`` (and its twin to the emulator).
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    /// The short name in `status`, logs, metrics and `keyrotd-emulator --types` (`servicebus`).
    public var name: String
    /// The product name for people (`Azure Service Bus`).
    public var title: String
    /// The resource provider namespace (`Microsoft.ServiceBus`).
    public var provider: String
    /// The id shapes: the type segments after the provider, each followed by a name in the id
    /// (`["namespaces", "queues", "authorizationRules"]`). The first shape is the main one.
    public var shapes: [[String]]
    /// The rule the first name of the id (the resource itself) follows.
    public var nameRule: NameRule
    /// The stable api-version used when the configuration names none.
    public var apiVersion: String
    /// The `listKeys` action (`listKeys`, `listAdminKeys`).
    public var listAction: String
    /// How one key is regenerated.
    public var regenerate: RegenerateRequest
    /// How an answer holds the keys.
    public var answer: KeyAnswer
    /// How each key pair is spelled; every type has a read-write pair, some a read-only one.
    public var pairs: [KeyPair: PairSpelling]
    /// Whether ARM may run a regeneration as a long-running operation (202 and a URL to poll).
    public var longRunning: Bool
    /// Whether a regeneration's `200` carries keys; one without (Cosmos DB's has no body) is
    /// followed by `listKeys`. Where it should carry them, an answer without is refused.
    public var regenerateAnswersKeys = true
    /// What a key must look like (alphabet, length) and, when the answer carries connection
    /// strings, what they must look like.
    public var rules: KeyValueRules
    /// Where the connection string comes from.
    public var connectionString: ConnectionStringSource
    /// Where the data-plane endpoint comes from.
    public var endpoint: EndpointSource
    /// What `{{keyName}}` is for this type.
    public var keyName: KeyNameSource
    /// The variable of the `env` format when the configuration names none.
    public var envName: String
    /// How `verify` proves a key against the type's data plane.
    public var dataPlane: DataPlaneCheck

    public var description: String { name }

    /// Types are told apart by name: comparing and hashing the whole descriptor would cost every
    /// id that holds one.
    public static func == (lhs: ResourceType, rhs: ResourceType) -> Bool { lhs.name == rhs.name }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The layout a resource of this type gets when its configuration names none: the connection
    /// string where the type has one, the key alone otherwise.
    public var defaultFormat: SecretFormat {
        if case .none = connectionString { return .key }
        return .connectionString
    }

    /// The full ARM type of `shape` (`Microsoft.ServiceBus/namespaces/queues/authorizationRules`).
    public func armType(_ shape: [String]) -> String {
        ([provider] + shape).joined(separator: "/")
    }

    /// Which pair of keys a resource rotates.
    public enum KeyPair: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The keys that may write (the only pair of most types).
        case readWrite = "read-write"
        /// The read-only keys (App Configuration, Cosmos DB).
        case readOnly = "read-only"

        public var description: String { rawValue }
    }

    /// How the two keys of one pair are spelled in requests and answers.
    public struct PairSpelling: Sendable, Hashable {
        /// The primary key's spelling.
        public var primary: SlotSpelling
        /// The secondary key's spelling.
        public var secondary: SlotSpelling

        /// Creates the spellings of a pair.
        public init(primary: SlotSpelling, secondary: SlotSpelling) {
            self.primary = primary
            self.secondary = secondary
        }

        /// The spelling of `slot`.
        public subscript(slot: KeySlot) -> SlotSpelling { slot == .primary ? primary : secondary }
    }

    /// How one key is spelled.
    public struct SlotSpelling: Sendable, Hashable {
        /// The value that names the key in a regenerate request (`Primary`, `key1`, `PrimaryKey`).
        public var request: String
        /// The answer's field of the key (`primaryKey`, `key1`), or the name of its entry in a list.
        public var key: String
        /// The answer's field of its connection string, for types whose answers carry one.
        public var connectionString: String?

        /// Creates a spelling.
        public init(request: String, key: String, connectionString: String? = nil) {
            self.request = request
            self.key = key
            self.connectionString = connectionString
        }
    }

    /// The regenerate action and how it names the key.
    public enum RegenerateRequest: Sendable, Hashable {
        /// `POST {id}/ACTION` with `{"FIELD": "<request spelling>"}`.
        case body(action: String, field: String)
        /// `POST {id}/ACTION/<request spelling>` without a body (AI Search).
        case pathSegment(action: String)
        /// `POST {id}/ACTION` with `{"FIELD": "<the key's id from listKeys>"}` (App Configuration).
        case listedID(action: String, field: String)

        /// The action's name.
        public var action: String {
            switch self {
            case .body(let action, _), .pathSegment(let action), .listedID(let action, _): action
            }
        }
    }

    /// How an answer holds the keys.
    public enum KeyAnswer: Sendable, Hashable {
        /// One JSON object with a field per key (and per connection string).
        case fields
        /// An array of entries (`{"keys": [{"keyName": "key1", "value": …}]}`), possibly paged
        /// with `nextLink`; a regenerate answer may be the array or the regenerated entry alone.
        case entries(array: String, name: String, value: String, connectionString: String?, id: String?)
    }

    /// Where the connection string comes from.
    public enum ConnectionStringSource: Sendable, Hashable {
        /// The type has none: consumers take the key.
        case none
        /// The `listKeys` and regenerate answers carry it, shaped as ``KeyValueRules/connectionString``.
        case answer
        /// A separate action (`listConnectionStrings`, Cosmos DB) lists them as
        /// `{"connectionStrings": [{"connectionString", "keyKind", "type"}]}`; the entry whose
        /// `keyKind` matches the key's request spelling and whose `type` is `TYPE` is taken.
        case listAction(String, type: String)
        /// Built by keyrotd from the key and the endpoint, in the form the type's SDKs read.
        case built(ConnectionStringRecipe)
    }

    /// The connection strings keyrotd builds.
    public enum ConnectionStringRecipe: Sendable, Hashable {
        /// `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…` (or the
        /// explicit `BlobEndpoint=` form for an endpoint that is not `NAME.blob.SUFFIX`).
        case storage
        /// StackExchange.Redis' `HOST:PORT,password=…,ssl=True,abortConnect=False`.
        case redis
    }

    /// Where the data-plane endpoint comes from.
    public enum EndpointSource: Sendable, Hashable {
        /// The connection string's endpoint field.
        case connectionString
        /// A property of the resource (`GET` of the top resource, cached): a URL, or a host name
        /// that becomes `https://HOST` + `suffix`.
        case property([String], hostOnly: Bool = false, suffix: String = "")
        /// `https://NAME.` + the cloud's suffix (AI Search), unless the configuration names one.
        case nameInDomain([AzureCloud: String])
        /// One URL per cloud (Azure Maps), unless the configuration names one.
        case fixed([AzureCloud: String])
    }

    /// What `{{keyName}}` holds.
    public enum KeyNameSource: Sendable, Hashable {
        /// The key's own name in the type's spelling (`key1`, `Primary`).
        case spelling
        /// The authorization rule's name, the last name of the id (`SharedAccessKeyName`).
        case ruleName
        /// The key's id from the answer (App Configuration's `Id=`).
        case entryID
    }

    /// A read-only call of the type's data plane, authenticated as its SDKs do, that succeeds only
    /// while the key is valid.
    public enum DataPlaneCheck: Sendable, Hashable {
        /// ACS: `GET phoneNumbers`, HMAC-SHA256 signed.
        case communicationHMAC
        /// The key in a header (`api-key`, `Ocp-Apim-Subscription-Key`) on `GET {endpoint}PATH`;
        /// `authenticated` are the statuses besides 2xx that prove the key was accepted (a 404 behind it).
        case keyHeader(String, path: String, authenticated: Set<Int> = [])
        /// The key as the `subscription-key` query parameter (Azure Maps).
        case keyQuery(path: String)
        /// Event Grid: an empty batch posted with `aeg-sas-key` publishes nothing.
        case eventGridKey
        /// The Service Bus family's `SharedAccessSignature` token on `GET {endpoint}`.
        case sharedAccessSignature
        /// App Configuration's HMAC-SHA256 on `GET {endpoint}/kv`.
        case appConfigurationHMAC
        /// Cosmos DB's master-key token on `GET {endpoint}dbs`.
        case cosmosMasterKey
        /// Storage Shared Key on `GET {blob endpoint}?comp=list`.
        case storageSharedKey
        /// Batch Shared Key on `GET {endpoint}/applications`.
        case batchSharedKey
        /// SignalR and Web PubSub: an HS256 access token signed with the key; a 404 for the
        /// connection asked about proves the token was accepted.
        case accessToken
        /// Redis: `AUTH` with the key over TLS.
        case redisAuth
    }

    /// What the resource's own name must look like.
    public struct NameRule: Sendable, Hashable {
        /// Accepted lengths.
        public var length: ClosedRange<Int>
        /// Only lower-case letters and digits (Storage, Cosmos DB's own rule adds `-`).
        public var characters: Characters

        /// The characters a name may hold.
        public enum Characters: String, Sendable, Hashable {
            /// Letters, digits, `-` and `_` (ARM's `^[-\w]+$`).
            case lettersDigitsHyphenUnderscore = "letters, digits, '-' or '_'"
            /// Letters, digits and `-`.
            case lettersDigitsHyphen = "letters, digits or '-'"
            /// Lower-case letters and digits.
            case lowercaseDigits = "lower-case letters or digits"
            /// Lower-case letters, digits and `-`.
            case lowercaseDigitsHyphen = "lower-case letters, digits or '-'"
        }

        /// Creates a rule.
        public init(_ length: ClosedRange<Int>, _ characters: Characters) {
            self.length = length
            self.characters = characters
        }

        /// Why `name` breaks the rule, or `nil`.
        public func problem(_ name: String) -> String? {
            let ok = name.unicodeScalars.allSatisfy { scalar in
                guard scalar.isASCII else { return false }
                let lower = ("a"..."z").contains(scalar), upper = ("A"..."Z").contains(scalar), digit = ("0"..."9").contains(scalar)
                switch characters {
                case .lettersDigitsHyphenUnderscore: return lower || upper || digit || scalar == "-" || scalar == "_"
                case .lettersDigitsHyphen: return lower || upper || digit || scalar == "-"
                case .lowercaseDigits: return lower || digit
                case .lowercaseDigitsHyphen: return lower || digit || scalar == "-"
                }
            }
            guard ok, length.contains(name.count) else {
                return "must be \(length.lowerBound)-\(length.upperBound) \(characters.rawValue)"
            }
            return nil
        }
    }
}
