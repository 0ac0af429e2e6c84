import FoundationEssentials
import KeyRotation

extension KeyVaultClient {
    /// Creates a new version of `name` holding `value`; Key Vault makes a version of every set.
    public func setSecret(
        _ name: String,
        value: Secret,
        contentType: String? = nil,
        tags: [String: String] = [:],
        expires: Date? = nil
    ) async throws -> KeyVaultSecretVersion {
        let body = RequestBody(
            value: value.exposedValue,
            contentType: contentType,
            tags: tags,
            attributes: expires.map { .init(exp: Int($0.timeIntervalSince1970)) }
        )
        do {
            let answer = try await send("setSecret", secret: name, method: "PUT", path: "/secrets/\(name)", body: body.bytes)
            return try decode("setSecret", name, answer)
        } catch var error as KeyVaultError {
            // Whatever echoed the request into its error (a proxy, a broken vault) must not carry the value on.
            error.message = error.message.replacing(value.exposedValue, with: "<redacted>")
            throw error
        }
    }

    /// The latest version of `name` with its value, or `nil` when the secret does not exist.
    /// A disabled latest version is a ``KeyVaultError`` (`Forbidden/SecretDisabled`).
    public func latest(_ name: String) async throws -> KeyVaultSecretVersion? {
        do {
            return try decode("getSecret", name, try await send("getSecret", secret: name, method: "GET", path: "/secrets/\(name)/"))
        } catch let error as KeyVaultError where error.status == 404 {
            return nil
        }
    }

    /// Version `version` of `name`, with its value.
    public func version(_ name: String, _ version: String) async throws -> KeyVaultSecretVersion {
        try decode("getSecret", name, try await send("getSecret", secret: name, method: "GET", path: "/secrets/\(name)/\(version)"))
    }

    /// Every version of `name` without values, oldest first as Key Vault lists them; empty when the
    /// secret does not exist.
    public func versions(_ name: String) async throws -> [KeyVaultSecretVersion] {
        struct Page: Decodable {
            var value: [KeyVaultSecretVersion.Wire]?
            var nextLink: String?
        }
        var versions: [KeyVaultSecretVersion] = []
        var answer: [UInt8]
        do {
            answer = try await send("listVersions", secret: name, method: "GET", path: "/secrets/\(name)/versions", query: "&maxresults=25")
        } catch let error as KeyVaultError where error.status == 404 {
            return []
        }
        // A vault with tens of thousands of versions is a loop gone wrong, not a page to read.
        for _ in 0..<1000 {
            guard let page = try? JSONDecoder().decode(Page.self, from: Data(answer)) else { throw malformed("listVersions", name) }
            versions += (page.value ?? []).compactMap(KeyVaultSecretVersion.init)
            guard let next = page.nextLink, !next.isEmpty else { return versions }
            answer = try await send("listVersions", secret: name, method: "GET", url: next)
        }
        throw malformed("listVersions", name)
    }

    /// Changes `version` of `name`: `enabled` and `tags` (all of them) when given.
    @discardableResult
    public func updateVersion(_ name: String, _ version: String, enabled: Bool? = nil, tags: [String: String]? = nil) async throws
        -> KeyVaultSecretVersion
    {
        let body = RequestBody(tags: tags, attributes: enabled.map { .init(enabled: $0) })
        let answer = try await send("updateVersion", secret: name, method: "PATCH", path: "/secrets/\(name)/\(version)", body: body.bytes)
        return try decode("updateVersion", name, answer)
    }

    private func decode(_ operation: String, _ name: String, _ answer: [UInt8]) throws -> KeyVaultSecretVersion {
        guard let wire = try? JSONDecoder().decode(KeyVaultSecretVersion.Wire.self, from: Data(answer)),
            let version = KeyVaultSecretVersion(wire)
        else {
            throw malformed(operation, name)
        }
        return version
    }

    /// An answer keyrotd cannot read (never quoted: it may hold a value).
    private func malformed(_ operation: String, _ name: String) -> KeyVaultError {
        KeyVaultError(
            operation: operation,
            vault: vaultURL.absoluteString,
            secret: name,
            status: 200,
            code: "MalformedResponse",
            message: "the answer is not the JSON Key Vault sends",
            requestID: nil
        )
    }
}

/// The body of a set or an update: what is `nil` is left out (an update changes only what it names).
struct RequestBody: Encodable {
    struct Attributes: Encodable {
        var enabled: Bool?
        var exp: Int?
    }
    var value: String?
    var contentType: String?
    var tags: [String: String]?
    var attributes: Attributes?

    /// The encoded bytes, keys sorted.
    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}
