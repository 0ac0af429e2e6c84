import FoundationEssentials
import KeyRotation

/// The keys of every ``ResourceType``: the calls its descriptor names, the answers read by its
/// spelling, every value checked against its rules before it is returned.
extension ARMClient {
    /// The top resource (the account, namespace or service) as ARM describes it: where its
    /// endpoint is. A `GET`, paced as a read.
    public func resource(_ id: ResourceID, apiVersion: String) async throws -> ARMResource {
        let body = try await send("get", method: "GET", id: id, target: id.topPath + "?api-version=" + apiVersion, body: [])
        guard let json = ARMJSON(parsing: body.bytes), json.isObject else { throw Self.malformed("get", id, body) }
        return ARMResource(json: json)
    }

    /// Both keys of `pair` (a POST: counts against the write budget).
    public func listKeys(_ id: ResourceID, pair: ResourceType.KeyPair = .readWrite, apiVersion: String) async throws -> ARMKeys {
        let operation = id.type.listAction
        var body = try await send(operation, method: "POST", id: id, target: Self.target(id, operation, apiVersion), body: [])
        var keys = try Self.decodeKeys(operation, id, pair, body)
        // A paged answer (App Configuration) continues at nextLink, on ARM's own host only.
        var pages = 1
        while keys.primary == nil || keys.secondary == nil, let next = ARMJSON(parsing: body.bytes)?["nextLink"]?.string, pages < 20 {
            try checkOnARM(next, operation, id, body)
            body = try await send(operation, method: "POST", id: id, target: next, body: [])
            let page = try Self.decodeKeys(operation, id, pair, body, allowEmpty: true)
            keys.primary = keys.primary ?? page.primary
            keys.secondary = keys.secondary ?? page.secondary
            pages += 1
        }
        guard !keys.isEmpty else { throw Self.malformed(operation, id, body, "the answer holds neither key") }
        return keys
    }

    /// Regenerates `slot` of `pair`. The answer may hold only the regenerated key, or none (the
    /// caller then lists the keys). A long-running regeneration is handed to `accepted` before it
    /// is polled, and its end awaited here; its keys are never read before it completed.
    public func regenerateKey(
        _ id: ResourceID,
        slot: KeySlot,
        pair: ResourceType.KeyPair = .readWrite,
        apiVersion: String,
        accepted: @Sendable (LongRunningOperation) async throws -> Void = { _ in }
    ) async throws -> ARMKeys {
        let type = id.type
        guard let spelling = type.pairs[pair]?[slot] else {
            throw ARMError(
                operation: "regenerateKey",
                resource: id.name,
                status: 0,
                code: "UnsupportedKeyPair",
                message: "\(type.title) has no \(pair) key pair",
                requestID: nil,
                clientRequestID: "none",
                attempts: 0
            )
        }
        let operation = type.regenerate.action
        let target: String
        var json: [UInt8] = []
        switch type.regenerate {
        case .body(let action, let field):
            target = Self.target(id, action, apiVersion)
            json = Self.object([field: spelling.request])
        case .pathSegment(let action):
            target = Self.target(id, action + "/" + spelling.request, apiVersion)
        case .listedID(let action, let field):
            // The key is named by the id listKeys gives it (App Configuration): one more write.
            guard let keyID = try await listKeys(id, pair: pair, apiVersion: apiVersion)[slot]?.id else {
                throw ARMError(
                    operation: operation,
                    resource: id.name,
                    status: 200,
                    code: "MalformedResponse",
                    message: "listKeys gave the \(spelling.key) key no id to regenerate it by",
                    requestID: nil,
                    clientRequestID: "none",
                    attempts: 0
                )
            }
            target = Self.target(id, action, apiVersion)
            json = Self.object([field: keyID])
        }
        let answersKeys = type.regenerateAnswersKeys
        let body = try await send(operation, method: "POST", id: id, target: target, body: json, acceptsEmptyBody: !answersKeys)
        guard body.status == 201 || body.status == 202 else {
            return try Self.decodeKeys(operation, id, pair, body, allowEmpty: !answersKeys)
        }
        let pending = try pendingOperation(from: body, slot: slot, id: id, operation: operation)
        try await accepted(pending)
        switch try await follow(pending, id: id) {
        case .completed:
            return ARMKeys()
        case .lost:
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: 404,
                code: "OperationNotFound",
                message: "ARM no longer knows the regeneration it accepted; it is asked for again",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        case .failed(let reason):
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: 200,
                code: "RegenerationFailed",
                message: reason,
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
    }

    /// The connection strings a type lists apart from its keys (Cosmos DB's `listConnectionStrings`):
    /// one call for every key in `keys`, each string checked to carry its key.
    public func connectionStrings(
        _ id: ResourceID,
        action: String,
        kind: String,
        pair: ResourceType.KeyPair,
        keys: ARMKeys,
        apiVersion: String
    ) async throws -> [KeySlot: Secret] {
        let body = try await send(action, method: "POST", id: id, target: Self.target(id, action, apiVersion), body: [])
        guard let entries = ARMJSON(parsing: body.bytes)?["connectionStrings"]?.array else {
            throw Self.malformed(action, id, body, "no connectionStrings array")
        }
        var found: [KeySlot: Secret] = [:]
        for slot in KeySlot.allCases {
            guard let key = keys[slot]?.value else { continue }
            let wanted = id.type.pairs[pair]?[slot].request.lowercased()
            let entry = entries.first { entry in
                entry["keyKind"]?.string?.lowercased() == wanted && (entry["type"]?.string ?? kind).lowercased() == kind.lowercased()
            }
            guard let value = entry?["connectionString"]?.string else {
                throw Self.malformed(action, id, body, "no \(kind) connection string of the \(slot) key")
            }
            try Self.validate(action, id, body) {
                try id.type.rules.validateConnectionString(value, key: key.exposedValue, field: "connectionString", resourceName: id.resourceName)
            }
            found[slot] = Secret(value)
        }
        return found
    }

    // MARK: - Answers

    private static func target(_ id: ResourceID, _ action: String, _ apiVersion: String) -> String {
        id.path + "/" + action + "?api-version=" + apiVersion
    }

    private static func object(_ fields: [String: String]) -> [UInt8] {
        // JSONEncoder escapes what needs escaping; an id from an answer is not trusted to need none.
        (try? Array(JSONEncoder().encode(fields))) ?? []
    }

    /// The keys of `pair` in an answer, each value checked against the type's rules: nothing
    /// unchecked reaches a file.
    static func decodeKeys(_ operation: String, _ id: ResourceID, _ pair: ResourceType.KeyPair, _ body: ReceivedBody, allowEmpty: Bool = false)
        throws -> ARMKeys
    {
        guard body.status == 200 else {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: body.status,
                code: "UnexpectedAsyncOperation",
                message: "ARM answered \(body.status) where it answers 200",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
        let type = id.type
        guard let spellings = type.pairs[pair] else { return ARMKeys() }
        if body.bytes.isEmpty, allowEmpty { return ARMKeys() }
        guard let json = ARMJSON(parsing: body.bytes), json.isObject else { throw malformed(operation, id, body) }
        var keys = ARMKeys()
        for slot in KeySlot.allCases {
            let spelling = spellings[slot]
            let found: (value: ARMJSON?, connectionString: ARMJSON?, id: ARMJSON?, field: String)
            switch type.answer {
            case .fields:
                found = (json[spelling.key], spelling.connectionString.flatMap { json[$0] }, nil, spelling.key)
            case .entries(let array, let nameField, let valueField, let connectionField, let idField):
                // The list, or (App Configuration's regeneration) the regenerated entry alone.
                let entries = json[array]?.array ?? (json[nameField] != nil ? [json] : [])
                let entry = entries.first { $0[nameField]?.string?.lowercased() == spelling.key.lowercased() }
                found = (entry?[valueField], connectionField.flatMap { entry?[$0] }, idField.flatMap { entry?[$0] }, "\(array)[\(spelling.key)]")
            }
            guard let valueJSON = found.value, valueJSON != .null else { continue }
            guard let value = valueJSON.string else { throw malformed(operation, id, body, "\(found.field) is not a string") }
            try validate(operation, id, body) { try type.rules.validateKey(value, field: found.field) }
            var key = ARMKeys.Key(value: Secret(value))
            if let connectionJSON = found.connectionString, connectionJSON != .null {
                guard let connectionString = connectionJSON.string else {
                    throw malformed(operation, id, body, "\(spelling.connectionString ?? found.field).connectionString is not a string")
                }
                try validate(operation, id, body) {
                    try type.rules.validateConnectionString(
                        connectionString,
                        key: value,
                        field: spelling.connectionString ?? "\(found.field).connectionString",
                        resourceName: id.resourceName
                    )
                }
                key.connectionString = Secret(connectionString)
            }
            if let idJSON = found.id {
                guard let keyID = idJSON.string, KeyValueRules.unsafeCharacterProblem(keyID) == nil else {
                    throw malformed(operation, id, body, "\(found.field).id is not a plain string")
                }
                key.id = keyID
            }
            keys[slot] = key
        }
        if keys.isEmpty, !allowEmpty { throw malformed(operation, id, body, "the answer holds neither key") }
        return keys
    }

    /// Runs a rules check, turning its violation into an `InvalidKeyValue` error with the request id.
    static func validate(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, _ check: () throws -> Void) throws {
        do {
            try check()
        } catch let error as KeyValueRules.Violation {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: 200,
                code: "InvalidKeyValue",
                message: "\(error.description); refused, nothing was published",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
    }

    static func malformed(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, _ detail: String? = nil) -> ARMError {
        // Never quote the body: it may hold keys.
        ARMError(
            operation: operation,
            resource: id.name,
            status: body.status,
            code: "MalformedResponse",
            message: "the response body (\(body.bytes.count) bytes) is not the expected JSON" + (detail.map { ": \($0)" } ?? ""),
            requestID: body.requestID,
            clientRequestID: body.clientRequestID,
            attempts: body.attempts
        )
    }
}

/// The properties of a resource, as ARM's `GET` gives them (none secret).
public struct ARMResource: Sendable {
    let json: ARMJSON

    /// The string at `path` (`["properties", "hostName"]`), if there is one.
    public func string(at path: [String]) -> String? { json[path: path]?.string }

    /// The integer at `path`, if there is one.
    public func integer(at path: [String]) -> Int? {
        if case .number(let number)? = json[path: path], let integer = Int(exactly: number) { return integer }
        return nil
    }

    /// The string fields of the object at `path` (`properties.primaryEndpoints`).
    public func strings(at path: [String]) -> [String: String] {
        guard case .object(let fields)? = json[path: path] else { return [:] }
        return fields.compactMapValues(\.string)
    }
}
