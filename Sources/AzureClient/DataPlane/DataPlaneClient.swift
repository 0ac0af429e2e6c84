import Crypto
import FoundationEssentials
import KeyRotation
import NIOSSL

/// One read-only call of a resource's data plane with a key, authenticated the way the type's
/// official SDKs do (``ResourceType/DataPlaneCheck``): `verify` proves a new key with it before
/// publishing, the tests' consumers prove published files with it.
public struct DataPlaneClient: Sendable {
    private let transport: any HTTPTransport
    private let redis: RedisAuthentication

    /// Creates the client; `extraCAFile` (`tls_ca_file`) is trusted beside the system's roots for the
    /// data planes `transport` does not carry (Redis' TLS), and `sleep` times their answers out.
    public init(transport: any HTTPTransport, extraCAFile: String? = nil, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.transport = transport
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let extraCAFile { tls.additionalTrustRoots = [.file(extraCAFile)] }
        self.redis = RedisAuthentication(tls: tls, sleep: sleep)
    }

    /// The verdict of one call.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// The service accepted the key.
        case accepted
        /// The service refused it (HTTP 401/403).
        case denied(status: Int)
        /// No verdict (unreachable, an unexpected answer, a type without an HTTP data plane).
        case failed(String)

        public var description: String {
            switch self {
            case .accepted: "accepted"
            case .denied(let status): "refused with HTTP \(status)"
            case .failed(let reason): "no verdict: \(reason)"
            }
        }
    }

    /// Makes the type's read-only call with `material`'s key.
    public func check(_ material: KeyMaterial, id: ResourceID, now: Date = Date()) async -> Outcome {
        let key = material.key.exposedValue
        var endpoint = material.endpoint
        if !endpoint.hasSuffix("/") { endpoint += "/" }
        switch id.type.dataPlane {
        case .communicationHMAC:
            return await ACSDataPlaneClient(transport: transport).listPhoneNumbers(connectionString: material.value, now: now)
        case .keyHeader(let header, let path, let authenticated):
            return await send("GET", endpoint + path, [(header, key)], authenticated: authenticated)
        case .keyQuery(let path):
            return await send("GET", endpoint + path + "&subscription-key=" + DataPlaneSignature.encoded(key), [])
        case .eventGridKey:
            return await send("POST", endpoint, [("aeg-sas-key", key), ("Content-Type", "application/json")], body: Array("[]".utf8))
        case .sharedAccessSignature:
            // sb://NAMESPACE/ is reached over HTTPS for REST calls.
            let url = endpoint.hasPrefix("sb://") ? "https://" + endpoint.dropFirst(5) : endpoint
            let token = DataPlaneSignature.sharedAccessSignature(
                resource: url,
                keyName: material.keyName,
                key: key,
                expiry: now.addingTimeInterval(300)
            )
            return await send("GET", url + "?api-version=2021-05", [("Authorization", token)], authenticated: [404])
        case .appConfigurationHMAC:
            let url = endpoint + "kv?api-version=1.0"
            return await send("GET", url, DataPlaneSignature.appConfiguration(url: url, credential: material.keyName, secret: key, now: now))
        case .cosmosMasterKey:
            let date = DataPlaneSignature.httpDate(now)
            let token = DataPlaneSignature.cosmosMasterKey(verb: "GET", resourceType: "dbs", resourceLink: "", date: date, key: key)
            return await send("GET", endpoint + "dbs", [("x-ms-date", date), ("x-ms-version", "2018-12-31"), ("authorization", token)])
        case .storageSharedKey:
            let url = endpoint + "?comp=list"
            return await send("GET", url, DataPlaneSignature.storageSharedKey(url: url, account: id.resourceName, key: key, now: now))
        case .batchSharedKey:
            let url = endpoint + "applications?api-version=2024-07-01.20.0"
            return await send("GET", url, DataPlaneSignature.batchSharedKey(url: url, account: id.resourceName, key: key, now: now))
        case .accessToken:
            let url = endpoint + "api/hubs/keyrotd/connections/keyrotd-verify"
            let token = DataPlaneSignature.accessToken(audience: url, key: key, expiry: now.addingTimeInterval(300))
            return await send("GET", url + "?api-version=2022-11-01", [("Authorization", "Bearer " + token)], authenticated: [404])
        case .redisAuth:
            // HOST:PORT,password=… : the connection string names the TLS port.
            let address = material.value.exposedValue.prefix { $0 != "," }
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                return .failed("the connection string names no host:port")
            }
            return await redis.check(host: String(address[..<colon]), port: port, key: key)
        }
    }

    private func send(_ method: String, _ url: String, _ headers: [(String, String)], body: [UInt8] = [], authenticated: Set<Int> = []) async
        -> Outcome
    {
        guard let target = URL(string: url) else { return .failed("the endpoint does not make a URL") }
        do {
            let response = try await transport.send(HTTPRequestData(method: method, url: target, headers: headers, body: body), timeout: .seconds(10))
            switch response.status {
            case 200..<300: return .accepted
            case let status where authenticated.contains(status): return .accepted
            case 401, 403: return .denied(status: response.status)
            default: return .failed("HTTP \(response.status)")
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
