import Crypto
import FoundationEssentials

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
        // POST /_emulator/revoke-tokens: a continuous access evaluation event; tokens issued so far get a claims challenge.
        if segments.count == 2, segments[1] == "revoke-tokens", request.method == "POST" {
            await state.revokeTokens()
            return .respond(status: 204, headers: [], body: [])
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

    // MARK: - Helpers

    /// `date` as ARM and Entra ID write it in messages: ISO 8601, UTC, whole seconds.
    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// A JSON answer.
    static func json(_ status: Int, _ body: some Encodable, headers: [(String, String)] = []) -> EmulatorResponse {
        .respond(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: body.sortedJSON)
    }

    /// An Entra ID error body (`error`, `error_description` with trace and correlation ids, `error_codes`).
    static func entraError(_ status: Int, _ error: String, _ description: String) -> EmulatorResponse {
        let trace = UUID().uuidString.lowercased()
        return json(
            status,
            [
                "error": .string(error),
                "error_description": .string(
                    "\(description)\r\nTrace ID: \(trace)\r\nCorrelation ID: \(UUID().uuidString.lowercased())\r\nTimestamp: \(EmulatorRoutes.timestamp(Date()))"
                ),
                "error_codes": [.int(Int(description.dropFirst(6).prefix(while: \.isNumber)) ?? 0)],
                "trace_id": .string(trace), "correlation_id": .string(UUID().uuidString.lowercased()),
            ] as JSONValue
        )
    }
}
