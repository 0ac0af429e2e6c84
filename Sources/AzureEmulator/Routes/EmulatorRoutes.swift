import Crypto
import Foundation

/// Dispatches requests to the Entra, ARM, data-plane and control routes.
struct EmulatorRoutes: Sendable {
    /// The emulated cloud.
    let state: EmulatorState
    /// Setup and faults.
    let configuration: EmulatorConfiguration

    /// The emulator's own URL as the client addressed it (connection strings and scopes point back at it).
    func baseURL(_ request: EmulatorRequest) -> String {
        "\(configuration.tls ? "https" : "http")://\(request.headers["host"] ?? configuration.host)"
    }

    /// Answers one request.
    func handle(_ request: EmulatorRequest) async -> EmulatorResponse {
        await state.count { $0.requests += 1 }
        let segments = request.segments
        if segments.first == "_emulator" { return await control(request, segments) }
        if segments.count == 4, segments[1] == "oauth2", segments[2] == "v2.0", segments[3] == "token" {
            return await token(request, tenant: segments[0])
        }
        if segments.first?.lowercased() == "subscriptions" { return await arm(request, segments) }
        if segments.first == "acs" { return await dataPlane(request, segments) }
        return Self.json(404, ["error": ["code": "NotFound", "message": "No route for \(request.method) \(request.path)"]])
    }

    // MARK: - Control

    private func control(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        if segments.count == 2, segments[1] == "stats" {
            let stats = await state.stats
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array((try? JSONEncoder().encode(stats)) ?? Data()))
        }
        // POST /_emulator/regenerate/{name}/{primary|secondary}: an out-of-band regeneration, as from the portal.
        if segments.count == 4, segments[1] == "regenerate", request.method == "POST",
            let resource = await state.resource(named: segments[2])
        {
            await state.regenerate(
                EmulatorState.key(resource.subscription, resource.resourceGroup, resource.name),
                primary: segments[3].lowercased() == "primary"
            )
            await state.count { $0.outOfBandRegenerations += 1 }
            return .respond(status: 204, headers: [], body: [])
        }
        return Self.json(404, ["error": ["code": "NotFound", "message": "unknown control route"]])
    }

    // MARK: - Entra ID

    private func token(_ request: EmulatorRequest, tenant: String) async -> EmulatorResponse {
        await state.count { $0.tokenRequests += 1 }
        guard request.method == "POST" else {
            return Self.entraError(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.")
        }
        let form = EmulatorRequest(method: "POST", uri: "/?" + String(decoding: request.body, as: UTF8.self), headers: [], body: []).query
        guard tenant.lowercased() == state.tenant.lowercased() else {
            return Self.entraError(
                400,
                "invalid_request",
                "AADSTS90002: Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            )
        }
        guard form["grant_type"] == "client_credentials" else {
            return Self.entraError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        }
        guard let clientID = form["client_id"], !clientID.isEmpty else {
            return Self.entraError(400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
        }
        let principal: EmulatorState.Principal
        if clientID == state.writer.clientID {
            principal = state.writer
        } else if clientID == state.reader.clientID {
            principal = state.reader
        } else {
            return Self.entraError(
                400,
                "unauthorized_client",
                "AADSTS700016: Application with identifier '\(clientID)' was not found in the directory '\(tenant)'."
            )
        }
        guard let secret = form["client_secret"], secret == principal.secret else {
            return Self.entraError(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'."
            )
        }
        let scope = form["scope"] ?? ""
        let accepted = ["https://management.azure.com/.default", "https://management.core.windows.net/.default", baseURL(request) + "/.default"]
        guard accepted.contains(scope) else {
            return Self.entraError(
                400,
                "invalid_scope",
                "AADSTS1002012: The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            )
        }
        let issued = await state.issueToken(for: principal, audience: String(scope.dropLast(".default".count)))
        return Self.jsonObject(
            200,
            ["token_type": "Bearer", "expires_in": issued.expiresIn, "ext_expires_in": issued.expiresIn, "access_token": issued.token]
        )
    }

    // MARK: - Helpers

    /// A JSON answer from string maps.
    static func json(_ status: Int, _ object: [String: [String: String]], headers: [(String, String)] = []) -> EmulatorResponse {
        jsonObject(status, object, headers: headers)
    }

    /// A JSON answer from any JSON object.
    static func jsonObject(_ status: Int, _ object: [String: Any], headers: [(String, String)] = []) -> EmulatorResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return .respond(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: Array(data))
    }

    /// An Entra ID error body (`error`, `error_description` with trace and correlation ids, `error_codes`).
    static func entraError(_ status: Int, _ error: String, _ description: String) -> EmulatorResponse {
        let trace = UUID().uuidString.lowercased()
        return jsonObject(
            status,
            [
                "error": error,
                "error_description":
                    "\(description)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(UUID().uuidString.lowercased())\r\nTimestamp: \(ISO8601DateFormatter().string(from: Date()))",
                "error_codes": [Int(description.dropFirst(6).prefix(while: \.isNumber)) ?? 0],
                "trace_id": trace, "correlation_id": UUID().uuidString.lowercased(),
            ]
        )
    }
}
