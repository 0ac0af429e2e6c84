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

    /// The data plane's URL for connection strings: the listener's loopback address and port, even
    /// when ARM was reached through the test proxy under a name only the proxy resolves (a resource's
    /// endpoint is its own host, not ARM's, and consumers connect to it directly).
    func dataPlaneBaseURL(_ request: EmulatorRequest) -> String {
        let authority = request.headers["host"] ?? configuration.host
        let port = authority.hasSuffix("]") ? nil : authority.lastIndex(of: ":").map { authority[$0...] }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls ? "https" : "http")://\(host)\(port ?? "")"
    }

    /// Answers one request.
    func handle(_ request: EmulatorRequest) async -> EmulatorResponse {
        await state.count { $0.requests += 1 }
        let segments = request.segments
        if segments.first == "_emulator" { return await control(request, segments) }
        if segments.count == 4, segments[1] == "oauth2", segments[2] == "v2.0", segments[3] == "token" {
            return await state.hangs(.token) ? .hang : await token(request, tenant: segments[0])
        }
        if segments.count == 4, segments[1] == "v2.0", segments[2] == ".well-known", segments[3] == "openid-configuration" {
            return openIDConfiguration(request, tenant: segments[0])
        }
        if segments.first?.lowercased() == "subscriptions" { return await state.hangs(.arm) ? .hang : await arm(request, segments) }
        if segments.first == "acs" { return await dataPlane(request, segments) }
        if segments.first == "v1.0" { return await graph(request, segments) }
        if segments.first == "secrets" { return await keyVault(request, segments) }
        if segments.first == configuration.storageAccount { return await blobStorage(request, segments) }
        if let answer = await typeDataPlane(request, segments) { return answer }
        return Self.json(404, ["error": ["code": "NotFound", "message": "No route for \(request.method) \(request.path)"]])
    }

    // MARK: - Control

    private func control(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        if segments.count == 2, segments[1] == "stats" {
            let stats = await state.stats
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array((try? JSONEncoder().encode(stats)) ?? Data()))
        }
        // GET /_emulator/audit: every change carried out, in order (with --audit).
        if segments.count == 2, segments[1] == "audit" {
            guard let audit = await state.audit else {
                return Self.json(409, ["error": ["code": "NoAudit", "message": "start the emulator with --audit"]])
            }
            return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array((try? JSONEncoder().encode(audit)) ?? Data()))
        }
        // POST /_emulator/revoke-tokens: a continuous access evaluation event; tokens issued so far get a claims challenge.
        if segments.count == 2, segments[1] == "revoke-tokens", request.method == "POST" {
            await state.revokeTokens()
            return .respond(status: 204, headers: [], body: [])
        }
        // POST /_emulator/inject-values?kinds=newline,html&count=N: spoil the next N key answers (all
        // when count is absent; no kinds turns it off).
        if segments.count == 2, segments[1] == "inject-values", request.method == "POST" {
            let names = (request.query["kinds"] ?? "").split(separator: ",").map(String.init)
            let kinds = names.compactMap(HostileValue.init(rawValue:))
            guard kinds.count == names.count else {
                return Self.json(400, ["error": ["code": "InvalidKinds", "message": "kinds are \(HostileValue.allCases.map(\.rawValue))"]])
            }
            await state.injectValues(kinds, count: request.query["count"].flatMap { Int($0) })
            return .respond(status: 204, headers: [], body: [])
        }
        // POST /_emulator/hang?at=arm,token,proxy: leave those requests unanswered (no `at`: answer again).
        if segments.count == 2, segments[1] == "hang", request.method == "POST" {
            let names = (request.query["at"] ?? "").split(separator: ",").map(String.init)
            let points = Set(names.compactMap(HangPoint.init(rawValue:)))
            guard points.count == Set(names).count else {
                return Self.json(400, ["error": ["code": "InvalidHangPoint", "message": "hang points are \(HangPoint.allCases.map(\.rawValue))"]])
            }
            await state.hang(at: points)
            return .respond(status: 204, headers: [], body: [])
        }
        // POST /_emulator/storage-fault?answer=503|403|hang|reset&on=lease,blob&count=N: fault the
        // next N Blob Storage calls of those kinds (all until turned off when count is absent; no answer turns it off).
        if segments.count == 2, segments[1] == "storage-fault", request.method == "POST" {
            let targets = (request.query["on"] ?? "lease,blob").split(separator: ",").map { StorageFault.Target(rawValue: String($0)) }
            let answer = request.query["answer"].map(StorageFault.Answer.init)
            guard !targets.contains(nil), answer != .some(nil) else {
                return Self.json(400, ["error": ["code": "InvalidFault", "message": "answer is a status, hang or reset; on is lease, blob or both"]])
            }
            let fault = answer.flatMap { $0 }.map {
                StorageFault(answer: $0, targets: Set(targets.compactMap { $0 }), remaining: request.query["count"].flatMap { Int($0) })
            }
            await state.setStorageFault(fault)
            return .respond(status: 204, headers: [], body: [])
        }
        // POST /_emulator/blob-lease?container=C&blob=B&action=expire|break: end a lease now (no blob: the container's).
        if segments.count == 2, segments[1] == "blob-lease", request.method == "POST" {
            guard let action = request.query["action"].flatMap(BlobStore.LeaseControl.init(rawValue:)), let container = request.query["container"]
            else {
                return Self.json(400, ["error": ["code": "InvalidLeaseControl", "message": "container and action (expire or break) are required"]])
            }
            let blob = request.query["blob"]
            let acted = (try? await state.withBlobs { $0.control(action, container, blob, now: Date()) }) ?? false
            return acted
                ? .respond(status: 204, headers: [], body: []) : Self.json(409, ["error": ["code": "NoLease", "message": "no lease to act on"]])
        }
        if segments.count >= 2, segments[1] == "applications" { return await applicationControl(request, segments) }
        // POST /_emulator/regenerate/{name}/{primary|secondary}: an out-of-band regeneration, as from the portal.
        if segments.count == 4, segments[1] == "regenerate", request.method == "POST",
            let resource = await state.resource(named: segments[2])
        {
            await state.regenerate(resource.id, slot: segments[3].lowercased() == "primary" ? .primary : .secondary)
            await state.count { $0.outOfBandRegenerations += 1 }
            return .respond(status: 204, headers: [], body: [])
        }
        return Self.json(404, ["error": ["code": "NotFound", "message": "unknown control route"]])
    }

    // MARK: - Helpers

    /// Waits a time drawn uniformly from `range` (an added latency).
    func delay(within range: ClosedRange<Duration>) async {
        guard range.upperBound > .zero else { return }
        let low = range.lowerBound.seconds, high = range.upperBound.seconds
        let delay = low + (high - low) * (await state.roll())
        try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
    }

    /// `date` as ARM and Entra ID write it in messages: ISO 8601, UTC, whole seconds.
    static func timestamp(_ date: Date) -> String { date.formatted(.iso8601) }

    /// A continuous access evaluation challenge for `WWW-Authenticate`: `parameters` (where tokens
    /// come from), then the claims demanding a token issued after the revocation at `notBefore`.
    func claimsChallenge(_ parameters: String, notBefore: Double) async -> String {
        await state.count { $0.claimsChallenges += 1 }
        let claims = #"{"access_token":{"nbf":{"essential":true,"value":"\#(Int(notBefore))"}}}"#
        return "Bearer \(parameters), error=\"insufficient_claims\", claims=\"" + Data(claims.utf8).base64EncodedString() + "\""
    }

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
