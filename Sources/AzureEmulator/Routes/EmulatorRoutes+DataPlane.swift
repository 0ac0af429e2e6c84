import Crypto
import FoundationEssentials

extension EmulatorRoutes {
    /// `POST /acs/{name}/identities?api-version=…` (creates an identity) and `GET
    /// /acs/{name}/phoneNumbers?api-version=…` (lists purchased numbers: none; read-only), both
    /// authenticated with the ACS HMAC-SHA256 scheme. Accepted only while signed with one of the
    /// resource's current keys that is already valid (see `--key-validity-delay`).
    func dataPlane(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        let denied = Self.json(401, ["error": ["code": "Denied", "message": "Denied by the resource provider."]])
        guard segments.count == 3, let resource = await state.resource(named: segments[1]) else {
            return Self.json(404, ["error": ["code": "NotFound", "message": "Resource not found"]])
        }
        let operation = (request.method, segments[2])
        guard operation == ("POST", "identities") || operation == ("GET", "phoneNumbers") else {
            return Self.json(404, ["error": ["code": "NotFound", "message": "Only POST identities and GET phoneNumbers are emulated"]])
        }
        guard request.query["api-version"] != nil else {
            return Self.json(400, ["error": ["code": "MissingApiVersion", "message": "The api-version query parameter is required."]])
        }
        guard let date = request.headers["x-ms-date"], let contentHash = request.headers["x-ms-content-sha256"],
            let authorization = request.headers["authorization"], let host = request.headers["host"],
            let signature = Self.signature(from: authorization)
        else {
            await state.count { $0.dataPlaneDenied += 1 }
            return denied
        }
        guard Data(SHA256.hash(data: request.body)).base64EncodedString() == contentHash, Self.isFresh(date) else {
            await state.count { $0.dataPlaneDenied += 1 }
            return denied
        }
        let pathAndQuery = request.path + (request.rawQuery.map { "?" + $0 } ?? "")
        // The official clients sign the endpoint's host *with* its path when the endpoint has one.
        let hosts = [host, "\(host)/acs/\(resource.name)"]
        let now = await state.now
        let keys = resource.validKeys(at: now)
        for key in keys {
            guard let keyBytes = Data(base64Encoded: key) else { continue }
            for signedHost in hosts {
                let toSign = "\(request.method)\n\(pathAndQuery)\n\(date);\(signedHost);\(contentHash)"
                let mac = HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: SymmetricKey(data: keyBytes))
                if Data(mac).base64EncodedString() == signature {
                    await state.count { $0.dataPlaneAccepted += 1 }
                    if operation.0 == "GET" { return Self.json(200, ["phoneNumbers": [String]()]) }
                    return Self.json(201, ["identity": ["id": "8:acs:\(resource.immutableID)_\(UUID().uuidString.lowercased())"]])
                }
            }
        }
        await state.count { $0.dataPlaneDenied += 1 }
        return denied
    }

    private static func signature(from authorization: String) -> String? {
        guard authorization.hasPrefix("HMAC-SHA256 ") else { return nil }
        for part in authorization.dropFirst(12).split(separator: "&") where part.hasPrefix("Signature=") {
            return String(part.dropFirst("Signature=".count))
        }
        return nil
    }

    /// ACS refuses requests whose `x-ms-date` is more than 15 minutes off.
    static func isFresh(_ date: String) -> Bool {
        HTTPDate.parse(date).map { abs($0.timeIntervalSinceNow) <= 15 * 60 } ?? false
    }
}
