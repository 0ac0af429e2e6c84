import FoundationEssentials
import KeyRotation

/// `Microsoft.Communication/communicationServices`: what its answers hold and how they are checked.
extension ARMClient {
    /// The resource's properties (`provisioningState`, `hostName`, `disableLocalAuth` …).
    public func get(_ id: ResourceID, apiVersion: String) async throws -> CommunicationServiceResource {
        let body = try await send("get", method: "GET", id: id, suffix: "", apiVersion: apiVersion, body: [])
        guard let resource = try? JSONDecoder().decode(CommunicationServiceResource.self, from: Data(body.bytes)) else {
            throw Self.malformed("get", id, body)
        }
        return resource
    }

    /// Both keys and connection strings (a POST: counts against the write budget), each checked
    /// against `rules` before it is returned.
    public func listKeys(_ id: ResourceID, apiVersion: String, rules: KeyValueRules = .communicationServices) async throws -> AccessKeys {
        let body = try await send("listKeys", method: "POST", id: id, suffix: "/listKeys", apiVersion: apiVersion, body: [])
        return try Self.decodeKeys("listKeys", id, body, rules: rules)
    }

    /// Regenerates `slot`; the answer may hold only the regenerated half, and what it holds is
    /// checked against `rules`.
    public func regenerateKey(
        _ id: ResourceID,
        slot: KeySlot,
        apiVersion: String,
        rules: KeyValueRules = .communicationServices
    ) async throws -> AccessKeys {
        let json = Array("{\"keyType\":\"\(slot.armKeyType)\"}".utf8)
        let body = try await send("regenerateKey", method: "POST", id: id, suffix: "/regenerateKey", apiVersion: apiVersion, body: json)
        return try Self.decodeKeys("regenerateKey", id, body, rules: rules)
    }

    private struct KeysBody: Decodable {
        var primaryKey: String?
        var secondaryKey: String?
        var primaryConnectionString: String?
        var secondaryConnectionString: String?
    }

    /// The keys of an answer, each value checked against `rules`: nothing unchecked reaches a file.
    private static func decodeKeys(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, rules: KeyValueRules) throws -> AccessKeys {
        let decoded: KeysBody
        do {
            decoded = try JSONDecoder().decode(KeysBody.self, from: Data(body.bytes))
        } catch let DecodingError.typeMismatch(_, context) {
            // The coding path names the field, never its value.
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw malformed(operation, id, body, "\(field) is not a string")
        } catch {
            throw malformed(operation, id, body)
        }
        let keys = AccessKeys(
            primaryKey: decoded.primaryKey.map(Secret.init),
            secondaryKey: decoded.secondaryKey.map(Secret.init),
            primaryConnectionString: decoded.primaryConnectionString.map(Secret.init),
            secondaryConnectionString: decoded.secondaryConnectionString.map(Secret.init)
        )
        guard keys.primaryKey != nil || keys.secondaryKey != nil else {
            throw malformed(operation, id, body, "the answer holds neither primaryKey nor secondaryKey")
        }
        do {
            try rules.validate(keys, resourceName: id.name)
        } catch {
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
        return keys
    }

    private static func malformed(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, _ detail: String? = nil) -> ARMError {
        // Never quote the body: it may hold keys.
        ARMError(
            operation: operation,
            resource: id.name,
            status: 200,
            code: "MalformedResponse",
            message: "the response body (\(body.bytes.count) bytes) is not the expected JSON" + (detail.map { ": \($0)" } ?? ""),
            requestID: body.requestID,
            clientRequestID: body.clientRequestID,
            attempts: body.attempts
        )
    }
}
