import Crypto
import FoundationEssentials

/// The data planes of the other types, each authenticating keys the way the service does, for
/// one read-only call (what `verify` and the tests' consumers make). A key regenerated away, or
/// one not yet valid (`--key-validity-delay`), is refused.
extension EmulatorRoutes {
    /// The prefixes of the data planes served here (a Storage account is addressed by its name).
    static let dataPlanePrefixes: Set<String> = [
        "signalr", "webpubsub", "maps", "cognitive", "search", "eventgrid", "servicebus", "eventhubs", "relay", "notificationhubs", "appconfig",
        "cosmos", "batch",
    ]

    /// Answers a data-plane request of a type other than ACS; `nil` when the path is none of theirs.
    func typeDataPlane(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse? {
        guard let prefix = segments.first else { return nil }
        let now = await state.now
        let resources = await state.resources.values
        // Path-style Storage: /ACCOUNT/…
        if let account = resources.first(where: { $0.type.family == "storage" && $0.name == prefix }) {
            return await verdict(storageSharedKey(request, account, now: now), resource: account, status: 200, ["containers": [String]()])
        }
        guard Self.dataPlanePrefixes.contains(prefix) else { return nil }
        if prefix == "maps" {
            // One endpoint for every account: the key names the account.
            let key = request.query["subscription-key"] ?? ""
            let account = resources.first { $0.type.family == "maps" && $0.validKeys(at: now).contains(key) }
            return await verdict(account != nil, resource: account, status: 200, ["tilesetId": "microsoft.base"])
        }
        guard segments.count >= 2 else { return Self.json(404, ["error": ["code": "NotFound", "message": "no resource named"]]) }
        let typeName = ["appconfig": "appconfiguration", "cosmos": "cosmosdb"][prefix] ?? prefix
        let candidates = resources.filter { $0.type.family == typeName && $0.names[0] == segments[1] }
        guard let resource = candidates.first else {
            return Self.json(404, ["error": ["code": "ResourceNotFound", "message": "no \(typeName) resource \(segments[1])"]])
        }
        let keys = resource.validKeys(at: now)
        switch typeName {
        case "search":
            return await verdict(keys.contains(request.headers["api-key"] ?? ""), resource: resource, status: 200, ["value": [String]()])
        case "cognitive":
            let key = request.headers["ocp-apim-subscription-key"] ?? request.headers["api-key"] ?? ""
            return await verdict(keys.contains(key), resource: resource, status: 200, ["data": [String]()])
        case "eventgrid":
            let accepted = keys.contains(request.headers["aeg-sas-key"] ?? "") && request.method == "POST"
            guard case .array? = JSONValue(parsing: request.body) else { return Self.json(400, ["error": ["code": "BadRequest"]]) }
            return await verdict(accepted, resource: resource, status: 200, [String: String]())
        case "servicebus", "eventhubs", "relay", "notificationhubs":
            let accepted = sharedAccessSignature(request, candidates, now: now)
            return await verdict(accepted, resource: resource, status: 404, ["error": ["code": "EntityNotFound"]])
        case "appconfiguration":
            return await verdict(appConfigurationHMAC(request, resource, now: now), resource: resource, status: 200, ["items": [String]()])
        case "cosmosdb":
            return await verdict(
                cosmosMasterKey(request, keys),
                resource: resource,
                status: 200,
                ["Databases": .array([]), "_count": 0] as JSONValue
            )
        case "batch":
            return await verdict(batchSharedKey(request, resource, now: now), resource: resource, status: 200, ["value": [String]()])
        case "signalr", "webpubsub":
            return await verdict(accessToken(request, keys), resource: resource, status: 404, ["code": "ConnectionNotFound"])
        default:
            return nil
        }
    }

    /// 200-ish with `body` when `accepted`, else 401 (403 for the Shared Key services, as they answer).
    private func verdict(_ accepted: Bool, resource: EmulatedResource?, status: Int, _ body: some Encodable) async -> EmulatorResponse {
        if accepted {
            await state.count { $0.dataPlaneAccepted += 1 }
            return Self.json(status, body)
        }
        await state.count { $0.dataPlaneDenied += 1 }
        let sharedKey = resource.map { ["storage", "batch"].contains($0.type.family) } ?? false
        return Self.json(
            sharedKey ? 403 : 401,
            ["error": ["code": sharedKey ? "AuthenticationFailed" : "Unauthorized", "message": "The key was not accepted."]]
        )
    }

    /// HMAC-SHA256 of `message` with `key`, base64.
    static func hmac(_ message: String, _ key: some DataProtocol) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key)))).base64EncodedString()
    }

    /// The `name=value&…` parameters of a header value, decoded.
    private static func parameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// `SharedAccessSignature sr=…&sig=…&se=…&skn=…`: the rule `skn` of the namespace, a signature
    /// with one of its keys over the resource as sent and the expiry, not expired, for this path.
    private func sharedAccessSignature(_ request: EmulatorRequest, _ rules: [EmulatedResource], now: Double) -> Bool {
        guard let header = request.headers["authorization"], header.hasPrefix("SharedAccessSignature ") else { return false }
        let fields = Self.parameters(header.dropFirst("SharedAccessSignature ".count))
        guard let resource = fields["sr"], let signature = fields["sig"], let expiry = fields["se"], let name = fields["skn"],
            let seconds = Double(expiry), seconds > Date().timeIntervalSince1970,
            let rule = rules.first(where: { $0.name == EmulatorRequest.formDecode(Substring(name)) })
        else { return false }
        let audience = EmulatorRequest.formDecode(Substring(resource)).lowercased()
        guard let path = URL(string: audience)?.path, request.path.lowercased().hasPrefix(path.hasSuffix("/") ? String(path.dropLast()) : path) else {
            return false
        }
        let sent = EmulatorRequest.formDecode(Substring(signature))
        return rule.validKeys(at: now).contains { Self.hmac(resource + "\n" + expiry, Array($0.utf8)) == sent }
    }

    /// App Configuration: `HMAC-SHA256 Credential=ID&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…`.
    private func appConfigurationHMAC(_ request: EmulatorRequest, _ resource: EmulatedResource, now: Double) -> Bool {
        guard let header = request.headers["authorization"], header.hasPrefix("HMAC-SHA256 "),
            let date = request.headers["x-ms-date"], Self.isFresh(date), let host = request.headers["host"],
            let hash = request.headers["x-ms-content-sha256"], hash == Data(SHA256.hash(data: request.body)).base64EncodedString()
        else { return false }
        let fields = Self.parameters(header.dropFirst("HMAC-SHA256 ".count))
        guard let id = fields["Credential"], let signature = fields["Signature"],
            let key = resource.keys.values.first(where: { $0.id == id && now >= $0.validFrom }), let secret = Data(base64Encoded: key.value)
        else { return false }
        let pathAndQuery = request.path + (request.rawQuery.map { "?" + $0 } ?? "")
        return Self.hmac("\(request.method)\n\(pathAndQuery)\n\(date);\(host);\(hash)", secret) == signature
    }

    /// Cosmos DB: the URL-encoded `type=master&ver=1.0&sig=…` over verb, resource type, link and date.
    private func cosmosMasterKey(_ request: EmulatorRequest, _ keys: [String]) -> Bool {
        guard let header = request.headers["authorization"], let date = request.headers["x-ms-date"], Self.isFresh(date) else { return false }
        let fields = Self.parameters(Substring(EmulatorRequest.formDecode(Substring(header))))
        guard fields["type"] == "master", fields["ver"] == "1.0", let signature = fields["sig"] else { return false }
        // /cosmos/NAME/dbs → resource type "dbs", link "".
        let text = "\(request.method.lowercased())\ndbs\n\n\(date.lowercased())\n\n"
        return keys.contains { Data(base64Encoded: $0).map { Self.hmac(text, $0) == signature } ?? false }
    }

    /// The string a Shared Key signs: the verb, eleven standard headers, the canonical `x-ms-`
    /// (Storage) or `ocp-` (Batch) headers, and the canonical resource.
    static func sharedKeyString(_ request: EmulatorRequest, account: String, headerPrefix: String) -> String {
        let standard = [
            "content-encoding", "content-language", "content-length", "content-md5", "content-type", "date", "if-modified-since", "if-match",
            "if-none-match", "if-unmodified-since", "range",
        ]
        var text = request.method + "\n"
        for name in standard {
            let value = request.headers[name] ?? ""
            text += (name == "content-length" && value == "0" ? "" : value) + "\n"
        }
        for (name, value) in request.headers.filter({ $0.key.hasPrefix(headerPrefix) }).sorted(by: { $0.key < $1.key }) {
            text += "\(name):\(value)\n"
        }
        text += "/\(account)\(request.path)"
        for (name, value) in request.query.sorted(by: { $0.key < $1.key }) { text += "\n\(name):\(value)" }
        return text
    }

    private func sharedKey(_ request: EmulatorRequest, _ resource: EmulatedResource, headerPrefix: String, dateHeader: String, now: Double) -> Bool {
        guard let header = request.headers["authorization"], header.hasPrefix("SharedKey \(resource.name):"),
            let date = request.headers[dateHeader], Self.isFresh(date)
        else { return false }
        let signature = String(header.dropFirst("SharedKey \(resource.name):".count))
        let text = Self.sharedKeyString(request, account: resource.name, headerPrefix: headerPrefix)
        return resource.validKeys(at: now).contains { Data(base64Encoded: $0).map { Self.hmac(text, $0) == signature } ?? false }
    }

    private func storageSharedKey(_ request: EmulatorRequest, _ account: EmulatedResource, now: Double) -> Bool {
        sharedKey(request, account, headerPrefix: "x-ms-", dateHeader: "x-ms-date", now: now)
    }

    private func batchSharedKey(_ request: EmulatorRequest, _ account: EmulatedResource, now: Double) -> Bool {
        sharedKey(request, account, headerPrefix: "ocp-", dateHeader: "ocp-date", now: now)
    }

    /// SignalR and Web PubSub: an HS256 JWT signed with a key, for this URL, not expired.
    private func accessToken(_ request: EmulatorRequest, _ keys: [String]) -> Bool {
        guard let header = request.headers["authorization"], header.hasPrefix("Bearer ") else { return false }
        let parts = header.dropFirst(7).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        func decode(_ text: Substring) -> Data? {
            var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            return Data(base64Encoded: String(base64))
        }
        guard let claims = decode(parts[1]).flatMap({ JSONValue(parsing: Array($0)) }), let audience = claims["aud"]?.string,
            case .int(let expiry)? = claims["exp"], Double(expiry) > Date().timeIntervalSince1970,
            audience == baseURL(request) + request.path
        else { return false }
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        return keys.contains { key in
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(key.utf8)))
            return decode(parts[2]) == Data(mac)
        }
    }
}
