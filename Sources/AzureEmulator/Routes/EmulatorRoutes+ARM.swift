import FoundationEssentials

extension EmulatorRoutes {
    /// The api-versions ARM accepts for Microsoft.Communication.
    static let supportedAPIVersions = [
        "2020-08-20", "2020-08-20-preview", "2021-10-01-preview", "2023-03-31", "2023-04-01", "2023-04-01-preview",
        "2023-06-01-preview", "2025-05-01", "2025-05-01-preview", "2025-09-01", "2026-03-18",
    ]

    /// Serves get, listKeys and regenerateKey, with authentication, throttling and faults.
    func arm(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        let requestID = UUID().uuidString.lowercased()
        var headers: [(String, String)] = [
            ("x-ms-request-id", requestID), ("x-ms-correlation-request-id", UUID().uuidString.lowercased()),
            ("x-ms-routing-request-id", "LOCAL:\(requestID)"),
        ]
        if request.headers["x-ms-return-client-request-id"]?.lowercased() == "true", let id = request.headers["x-ms-client-request-id"] {
            headers.append(("x-ms-client-request-id", id))
        }
        func error(_ status: Int, _ code: String, _ message: String, _ extra: [(String, String)] = []) -> EmulatorResponse {
            Self.json(status, ["error": ["code": code, "message": message]], headers: headers + extra)
        }

        // Authentication comes first, as at the ARM gateway.
        guard let authorization = request.headers["authorization"] else {
            return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        }
        guard authorization.lowercased().hasPrefix("bearer ") else {
            return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
        }
        let principal: EmulatorState.Principal
        switch await state.verify(token: String(authorization.dropFirst(7))) {
        case .invalid:
            return error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        case .expired(let expiry):
            return error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time '\(EmulatorRoutes.timestamp(expiry))' is earlier than current UTC time '\(EmulatorRoutes.timestamp(Date()))'."
            )
        case .revoked(let notBefore):
            await state.count { $0.claimsChallenges += 1 }
            let claims = #"{"access_token":{"nbf":{"essential":true,"value":"\#(Int(notBefore))"}}}"#
            let challenge =
                #"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims=""#
                + Data(claims.utf8).base64EncodedString() + "\""
            return error(
                401,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
                [("WWW-Authenticate", challenge)]
            )
        case .valid(let p):
            principal = p
        }
        guard let apiVersion = request.query["api-version"], !apiVersion.isEmpty else {
            return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        }
        // /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Communication/communicationServices/{n}[/action]
        let lower = segments.map { $0.lowercased() }
        guard segments.count >= 2 else { return error(404, "NotFound", "The requested path was not found.") }
        let subscription = segments[1]
        guard await state.hasSubscription(subscription) else {
            return error(404, "SubscriptionNotFound", "The subscription '\(subscription)' could not be found.")
        }
        guard segments.count >= 4, lower[2] == "resourcegroups" else { return error(404, "NotFound", "The requested path was not found.") }
        let group = segments[3]
        guard await state.hasResourceGroup(subscription, group) else {
            return error(404, "ResourceGroupNotFound", "Resource group '\(group)' could not be found.")
        }
        guard segments.count >= 8, lower[4] == "providers", lower[5] == "microsoft.communication", lower[6] == "communicationservices" else {
            return error(404, "NoRegisteredProviderFound", "No registered resource provider found for the path.")
        }
        guard Self.supportedAPIVersions.contains(apiVersion.lowercased()) else {
            return error(
                400,
                "InvalidApiVersionParameter",
                "The api-version '\(apiVersion)' is invalid. The supported versions are '\(Self.supportedAPIVersions.joined(separator: ","))'."
            )
        }
        let name = segments[7]
        let action = segments.count == 9 ? lower[8] : (segments.count == 8 ? "" : "?")
        let isWrite = request.method == "POST"
        switch (request.method, action) {
        case ("GET", ""), ("POST", "listkeys"), ("POST", "regeneratekey"): break
        default:
            return error(405, "MethodNotAllowed", "The requested resource does not support http method '\(request.method)' at this path.")
        }
        if isWrite && !principal.canWrite {
            let verb = action == "listkeys" ? "listKeys" : "regenerateKey"
            return error(
                403,
                "AuthorizationFailed",
                "The client '\(principal.clientID)' with object id '\(principal.clientID)' does not have authorization to perform action 'Microsoft.Communication/communicationServices/\(verb)/action' over scope '\(request.path.components(separatedBy: "/\(segments[8])").first ?? request.path)' or the scope is invalid. If access was recently granted, please refresh your credentials."
            )
        }
        // ARM's buckets are per subscription, per principal and per kind of request.
        let kind = isWrite ? "write" : "read"
        let (retryAfter, remaining) = await state.take(write: isWrite, subscription: subscription, principal: principal.clientID)
        if let retryAfter {
            await state.count { isWrite ? ($0.throttled += 1) : ($0.throttledReads += 1) }
            let seconds = max(1, Int(retryAfter.rounded(.up)))
            return error(
                429,
                "SubscriptionRequestsThrottled",
                "Number of '\(kind)' requests for subscription '\(subscription)' actor '\(principal.clientID)' exceeded. Please try again after '\(seconds)' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling",
                [("Retry-After", String(seconds)), ("x-ms-ratelimit-remaining-subscription-\(kind)s", "0")]
            )
        }
        headers.append(("x-ms-ratelimit-remaining-subscription-\(kind)s", String(remaining)))
        await state.count { isWrite ? ($0.armWrites += 1) : ($0.armReads += 1) }

        // Faults that answer instead of serving.
        let faults = configuration.faults
        if faults.latency.upperBound > .zero {
            let low = faults.latency.lowerBound.seconds, high = faults.latency.upperBound.seconds
            let delay = low + (high - low) * (await state.roll())
            try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
        }
        for (status, rate) in faults.errorRates.sorted(by: { $0.key < $1.key }) where rate > 0 {
            if await state.roll() < rate {
                await state.count { $0.injectedErrors += 1 }
                return injectedError(status, headers: headers)
            }
        }
        let resetRoll = await state.roll(), timeoutRoll = await state.roll(), afterRoll = await state.roll()
        let resetNow = resetRoll < faults.resetRate, timeoutNow = timeoutRoll < faults.timeoutRate
        if (resetNow || timeoutNow) && afterRoll < 0.5 {
            await state.count { resetNow ? ($0.injectedResets += 1) : ($0.injectedTimeouts += 1) }
            return resetNow ? .reset : .hang
        }

        guard let resource = await state.resource(subscription, group, name) else {
            return error(
                404,
                "ResourceNotFound",
                "The Resource 'Microsoft.Communication/CommunicationServices/\(name)' under resource group '\(group)' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            )
        }
        let response: EmulatorResponse
        if action == "" {
            response = Self.json(200, resourceBody(resource), headers: headers)
        } else {
            let keys: [String: String]
            if action == "listkeys" {
                await state.count { $0.listKeys += 1 }
                keys = keysBody(resource, baseURL: dataPlaneBaseURL(request), primary: true, secondary: true)
            } else {
                guard let keyType = JSONValue(parsing: request.body)?["keyType"]?.string?.lowercased(),
                    keyType == "primary" || keyType == "secondary"
                else {
                    return error(400, "InvalidRequestBody", "The keyType to regenerate must be either 'primary' or 'secondary' (case-insensitive).")
                }
                let updated = await state.regenerate(EmulatorState.key(subscription, group, name), primary: keyType == "primary")!
                let full = configuration.fullRegenerateResponse
                keys = keysBody(
                    updated,
                    baseURL: dataPlaneBaseURL(request),
                    primary: full || keyType == "primary",
                    secondary: full || keyType == "secondary"
                )
            }
            response = await state.nextHostileValue()?.answer(replacing: keys, headers: headers) ?? Self.json(200, keys, headers: headers)
        }
        // Faults after the work is done: the client does not learn what happened.
        if resetNow || timeoutNow {
            await state.count { resetNow ? ($0.injectedResets += 1) : ($0.injectedTimeouts += 1) }
            return resetNow ? .reset : .hang
        }
        if faults.malformedRate > 0, await state.roll() < faults.malformedRate, case .respond(let status, let h, let body) = response {
            await state.count { $0.injectedMalformed += 1 }
            return .respond(status: status, headers: h, body: Array(body.prefix(body.count / 2)))
        }
        return response
    }

    private func injectedError(_ status: Int, headers: [(String, String)]) -> EmulatorResponse {
        let (code, message): (String, String) =
            switch status {
            case 429: ("TooManyRequests", "The request was throttled. Please retry after the time given in Retry-After.")
            case 500:
                (
                    "InternalServerError",
                    "Encountered internal server error. Diagnostic information: timestamp '\(EmulatorRoutes.timestamp(Date()))'."
                )
            case 502: ("BadGateway", "The gateway did not receive a response from 'Microsoft.Communication' within the specified time period.")
            case 503: ("ServiceUnavailable", "The server (leader) is currently unable to handle the request due to a temporary overload.")
            case 504: ("GatewayTimeout", "The gateway did not receive a response from 'Microsoft.Communication' within the specified time period.")
            case 403: ("AuthorizationFailed", "The client does not have authorization to perform this action.")
            case 404: ("ResourceNotFound", "The requested resource was not found.")
            case 409: ("Conflict", "The operation conflicts with another operation in progress.")
            default: ("Injected\(status)", "An injected fault.")
            }
        let extra: [(String, String)] = status == 429 || status == 503 ? [("Retry-After", "1")] : []
        return Self.json(status, ["error": ["code": code, "message": message]], headers: headers + extra)
    }

    private func keysBody(_ r: EmulatedResource, baseURL: String, primary: Bool, secondary: Bool) -> [String: String] {
        let endpoint = "\(baseURL)/acs/\(r.name)/"
        var body: [String: String] = [:]
        if primary {
            body["primaryKey"] = r.primaryKey
            body["primaryConnectionString"] = "endpoint=\(endpoint);accesskey=\(r.primaryKey)"
        }
        if secondary {
            body["secondaryKey"] = r.secondaryKey
            body["secondaryConnectionString"] = "endpoint=\(endpoint);accesskey=\(r.secondaryKey)"
        }
        return body
    }

    private func resourceBody(_ r: EmulatedResource) -> JSONValue {
        [
            "id": .string(r.id), "name": .string(r.name), "type": "Microsoft.Communication/CommunicationServices", "location": "global",
            "tags": [:],
            "properties": [
                "provisioningState": "Succeeded", "hostName": .string("\(r.name).communication.azure.com"), "dataLocation": "Europe",
                "immutableResourceId": .string(r.immutableID), "version": "0.2.0", "disableLocalAuth": false, "publicNetworkAccess": "Enabled",
            ],
        ]
    }
}
