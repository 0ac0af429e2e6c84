import FoundationEssentials

extension EmulatorRoutes {
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
            let challenge = await claimsChallenge(
                #"authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize""#,
                notBefore: notBefore
            )
            return error(
                401,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp",
                [("WWW-Authenticate", challenge)]
            )
        case .valid(_, let audience) where audience.hasPrefix(EmulatorRoutes.vaultAudience):
            return error(
                401,
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource '\(audience)'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.azure.com/'."
            )
        case .valid(let p, _):
            principal = p
        }
        guard let apiVersion = request.query["api-version"], !apiVersion.isEmpty else {
            return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        }
        // /subscriptions/{s}/resourceGroups/{g}/providers/{provider}/{type}/{name}[/{child type}/{child name}][/action[/argument]]
        // or /subscriptions/{s}/providers/{provider}/locations/{location}/operationStatuses|operationResults/{id}
        let lower = segments.map { $0.lowercased() }
        guard segments.count >= 2 else { return error(404, "NotFound", "The requested path was not found.") }
        let subscription = segments[1]
        guard await state.hasSubscription(subscription) else {
            return error(404, "SubscriptionNotFound", "The subscription '\(subscription)' could not be found.")
        }
        if segments.count == 8, lower[2] == "providers", lower[4] == "locations", lower[6] == "operationstatuses" || lower[6] == "operationresults" {
            guard let type = EmulatedType.all.first(where: { $0.provider.lowercased() == lower[3] && $0.longRunning }) else {
                return error(404, "NoRegisteredProviderFound", "No registered resource provider found for the path.")
            }
            guard type.apiVersions.contains(apiVersion.lowercased()) else { return invalidAPIVersion(type, apiVersion, error) }
            guard let (retryAfter, remaining) = Optional(await state.take(write: false, subscription: subscription, principal: principal.clientID)),
                retryAfter == nil
            else {
                await state.count { $0.throttledReads += 1 }
                return error(429, "SubscriptionRequestsThrottled", "Number of 'read' requests exceeded.", [("Retry-After", "1")])
            }
            headers.append(("x-ms-ratelimit-remaining-subscription-reads", String(remaining)))
            await state.count { $0.armReads += 1 }
            return await operation(segments[7], results: lower[6] == "operationresults", request: request, headers: headers, error)
        }
        guard segments.count >= 4, lower[2] == "resourcegroups" else { return error(404, "NotFound", "The requested path was not found.") }
        let group = segments[3]
        guard await state.hasResourceGroup(subscription, group) else {
            return error(404, "ResourceGroupNotFound", "Resource group '\(group)' could not be found.")
        }
        let candidates = segments.count >= 8 && lower[4] == "providers" ? EmulatedType.all.filter { $0.provider.lowercased() == lower[5] } : []
        guard !candidates.isEmpty else {
            return error(404, "NoRegisteredProviderFound", "No registered resource provider found for the path.")
        }
        // The type whose shape the path follows; a child type's top resource (a namespace) is a GET target too.
        var match: (type: EmulatedType, depth: Int)?
        for type in candidates {
            for depth in stride(from: type.shape.count, through: 1, by: -1) where segments.count >= 6 + 2 * depth {
                if (0..<depth).allSatisfy({ lower[6 + 2 * $0] == type.shape[$0].lowercased() }) {
                    if match == nil || depth > match!.depth { match = (type, depth) }
                    break
                }
            }
        }
        guard let (type, depth) = match else {
            return error(
                404,
                "InvalidResourceType",
                "The resource type could not be found in the namespace '\(segments[5])' for api version '\(apiVersion)'."
            )
        }
        guard type.apiVersions.contains(apiVersion.lowercased()) else { return invalidAPIVersion(type, apiVersion, error) }
        let path = "/" + segments[..<(6 + 2 * depth)].joined(separator: "/")
        let rest = Array(lower[(6 + 2 * depth)...])
        let action = rest.first ?? ""
        let isWrite = request.method == "POST"
        let isResource = depth == type.shape.count
        let known: Bool
        switch (request.method, rest.count) {
        case ("GET", 0): known = true
        case ("POST", 1):
            known = isResource && [type.listAction.lowercased(), type.regenerateAction.lowercased(), "listconnectionstrings"].contains(action)
        case ("POST", 2):
            known = isResource && action == type.regenerateAction.lowercased() && { if case .segment = type.request { true } else { false } }()
        default: known = false
        }
        guard known, type.family == "cosmosdb" || action != "listconnectionstrings" else {
            return error(405, "MethodNotAllowed", "The requested resource does not support http method '\(request.method)' at this path.")
        }
        if isWrite && !principal.canWrite {
            let verb = segments[6 + 2 * depth]
            return error(
                403,
                "AuthorizationFailed",
                "The client '\(principal.clientID)' with object id '\(principal.clientID)' does not have authorization to perform action '\(type.armType)/\(verb)/action' over scope '\(path)' or the scope is invalid. If access was recently granted, please refresh your credentials."
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
        if isWrite { await state.count { $0.armWritesByType[type.name, default: 0] += 1 } }

        // Faults that answer instead of serving.
        let faults = configuration.faults
        await delay(within: faults.latency)
        for (status, rate) in faults.errorRates.sorted(by: { $0.key < $1.key }) where rate > 0 {
            if await state.roll() < rate {
                await state.count { $0.injectedErrors += 1 }
                return injectedError(status, provider: type.provider, headers: headers)
            }
        }
        let resetRoll = await state.roll(), timeoutRoll = await state.roll(), afterRoll = await state.roll()
        let resetNow = resetRoll < faults.resetRate, timeoutNow = timeoutRoll < faults.timeoutRate
        if (resetNow || timeoutNow) && afterRoll < 0.5 {
            await state.count { resetNow ? ($0.injectedResets += 1) : ($0.injectedTimeouts += 1) }
            return resetNow ? .reset : .hang
        }

        await state.settleOperations()
        let found = isResource ? await state.resource(id: path) : await state.resource(topID: path)
        guard let resource = found else {
            return error(
                404,
                "ResourceNotFound",
                "The Resource '\(type.provider)/\(segments[6 + 2 * (depth - 1)])/\(segments[7 + 2 * (depth - 1)])' under resource group '\(group)' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            )
        }
        let base = dataPlaneBaseURL(request)
        var response: EmulatorResponse
        if action == "" {
            response = Self.json(200, resourceBody(resource, base: base, top: !isResource), headers: headers)
        } else if action == type.listAction.lowercased() {
            await state.count { $0.listKeys += 1 }
            let body = keysBody(resource, base: base, slots: Array(resource.keys.keys))
            response = Self.json(200, body, headers: headers)
            if type.family == "communication", let hostile = await state.nextHostileValue() {
                response = hostile.answer(replacing: body.strings, headers: headers)
            }
        } else if action == "listconnectionstrings" {
            response = Self.json(200, connectionStringsBody(resource, base: base), headers: headers)
        } else {
            guard let slot = slot(requested: request, rest, resource) else {
                return error(400, "InvalidRequestBody", "The key to regenerate is not valid for \(type.armType): \(Self.requestHelp(type)).")
            }
            if type.longRunning && !configuration.synchronousRegeneration {
                let operationID = await state.startRegeneration(resource.id, slot: slot)
                let location = "\(baseURL(request))/subscriptions/\(subscription)/providers/\(type.provider)/locations/westeurope"
                let query = "?api-version=\(apiVersion)"
                return .respond(
                    status: 202,
                    headers: headers + [
                        ("Azure-AsyncOperation", "\(location)/operationStatuses/\(operationID)\(query)"),
                        ("Location", "\(location)/operationResults/\(operationID)\(query)"), ("Retry-After", "1"),
                    ],
                    body: []
                )
            }
            let updated = await state.regenerate(resource.id, slot: slot)!
            response = regenerateAnswer(updated, slot: slot, base: base, headers: headers)
            if type.family == "communication", let hostile = await state.nextHostileValue() {
                response = hostile.answer(replacing: keysBody(updated, base: base, slots: answeredSlots(slot)).strings, headers: headers)
            }
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

    private func invalidAPIVersion(
        _ type: EmulatedType,
        _ apiVersion: String,
        _ error: (Int, String, String, [(String, String)]) -> EmulatorResponse
    ) -> EmulatorResponse {
        error(
            400,
            "InvalidApiVersionParameter",
            "The api-version '\(apiVersion)' is invalid. The supported versions are '\(type.apiVersions.joined(separator: ","))'.",
            []
        )
    }

    /// A long-running regeneration's status (`operationStatuses`, the `Azure-AsyncOperation`) or
    /// result (`operationResults`, the `Location`: 202 until done, then the keys).
    private func operation(
        _ id: String,
        results: Bool,
        request: EmulatorRequest,
        headers: [(String, String)],
        _ error: (Int, String, String, [(String, String)]) -> EmulatorResponse
    ) async -> EmulatorResponse {
        guard let completed = await state.operationCompleted(id), let record = await state.operation(id),
            let resource = await state.resource(id: record.resourceID)
        else {
            return error(404, "OperationNotFound", "The operation '\(id)' could not be found.", [])
        }
        if !results {
            let body: JSONValue = ["id": .string(request.path), "name": .string(id), "status": completed ? "Succeeded" : "InProgress"]
            return Self.json(200, body, headers: headers + (completed ? [] : [("Retry-After", "1")]))
        }
        guard completed else {
            let location = baseURL(request) + request.path + (request.rawQuery.map { "?" + $0 } ?? "")
            return .respond(status: 202, headers: headers + [("Location", location), ("Retry-After", "1")], body: [])
        }
        if case .fields(_, _, .some, _, _) = resource.type.answer { return .respond(status: 204, headers: headers, body: []) }
        return Self.json(200, keysBody(resource, base: dataPlaneBaseURL(request), slots: [.primary, .secondary]), headers: headers)
    }

    /// The key a regenerate request names, by the type's spelling; `nil` when it names none.
    private func slot(requested request: EmulatorRequest, _ rest: [String], _ resource: EmulatedResource) -> EmulatedResource.Slot? {
        switch resource.type.request {
        case .segment(let primary, let secondary):
            return rest.count == 2 ? [primary: .primary, secondary: .secondary][rest[1]] : nil
        case .keyID:
            guard let id = JSONValue(parsing: request.body)?["id"]?.string else { return nil }
            return resource.keys.first { $0.value.id == id }?.key
        case .field(let field, let primary, let secondary, let primaryReadOnly, let secondaryReadOnly):
            guard let value = JSONValue(parsing: request.body)?[field]?.string?.lowercased() else { return nil }
            let slots: [([String], EmulatedResource.Slot)] = [
                (primary, .primary), (secondary, .secondary), (primaryReadOnly, .primaryReadOnly), (secondaryReadOnly, .secondaryReadOnly),
            ]
            return slots.first { $0.0.contains(value) }?.1
        }
    }

    private static func requestHelp(_ type: EmulatedType) -> String {
        switch type.request {
        case .segment(let primary, let secondary): "the path ends in /\(primary) or /\(secondary)"
        case .keyID: "the body's id must be the id of one of the store's keys"
        case .field(let field, let primary, let secondary, let pr, let sr):
            "\(field) must be one of \((primary + secondary + pr + sr).joined(separator: ", "))"
        }
    }

    /// The slots a regeneration answer of ACS carries (only the regenerated one, unless configured otherwise).
    private func answeredSlots(_ slot: EmulatedResource.Slot) -> [EmulatedResource.Slot] {
        configuration.fullRegenerateResponse ? [.primary, .secondary] : [slot]
    }

    /// What each type answers to a regeneration that is done.
    private func regenerateAnswer(_ r: EmulatedResource, slot: EmulatedResource.Slot, base: String, headers: [(String, String)]) -> EmulatorResponse {
        switch r.type.answer {
        case .fields(_, _, .some, _, _):
            return .respond(status: 200, headers: headers, body: [])  // Cosmos DB: no body
        case .apiKeys:
            return Self.json(200, apiKey(r, slot, base: base), headers: headers)
        default:
            let slots = r.type.family == "communication" ? answeredSlots(slot) : [.primary, .secondary]
            return Self.json(200, keysBody(r, base: base, slots: slots), headers: headers)
        }
    }

    private static let apiKeyNames: [EmulatedResource.Slot: String] = [
        .primary: "Primary", .secondary: "Secondary", .primaryReadOnly: "Primary Read Only", .secondaryReadOnly: "Secondary Read Only",
    ]

    private func apiKey(_ r: EmulatedResource, _ slot: EmulatedResource.Slot, base: String) -> JSONValue {
        let key = r.keys[slot]!
        return [
            "id": .string(key.id), "name": .string(Self.apiKeyNames[slot]!), "value": .string(key.value),
            "connectionString": .string(r.type.connectionString!(r, key.value, key.id, base)),
            "lastModified": .string(EmulatorRoutes.timestamp(Date())),
            "readOnly": .bool(slot == .primaryReadOnly || slot == .secondaryReadOnly),
        ]
    }

    /// A `listKeys` answer (or a full regeneration answer) holding `slots`, in the type's shape.
    private func keysBody(_ r: EmulatedResource, base: String, slots: [EmulatedResource.Slot]) -> JSONValue {
        var body: [String: JSONValue] = [:]
        switch r.type.answer {
        case .storageKeys:
            let keys = [EmulatedResource.Slot.primary, .secondary].filter(slots.contains).map { slot -> JSONValue in
                [
                    "keyName": .string(slot == .primary ? "key1" : "key2"), "value": .string(r.keys[slot]!.value), "permissions": "FULL",
                    "creationTime": .string(EmulatorRoutes.timestamp(Date())),
                ]
            }
            return ["keys": .array(keys)]
        case .apiKeys:
            return ["value": .array(EmulatedResource.Slot.allCases.filter(slots.contains).map { apiKey(r, $0, base: base) })]
        case .fields(let primary, let secondary, let primaryReadOnly, let secondaryReadOnly, let extra):
            let fields: [EmulatedResource.Slot: String?] = [
                .primary: primary, .secondary: secondary, .primaryReadOnly: primaryReadOnly, .secondaryReadOnly: secondaryReadOnly,
            ]
            for slot in slots {
                guard let field = fields[slot] ?? nil, let key = r.keys[slot] else { continue }
                body[field] = .string(key.value)
                if let connectionString = r.type.connectionString, slot == .primary || slot == .secondary {
                    switch extra {
                    case .connectionStrings, .accessKeys:
                        body["\(slot)ConnectionString"] = .string(connectionString(r, key.value, key.id, base))
                    default: break
                    }
                }
            }
            switch extra {
            case .accessKeys: body["keyName"] = .string(r.name)
            case .maps:
                body["id"] = .string(r.id)
                body["primaryKeyLastUpdated"] = .string(EmulatorRoutes.timestamp(Date()))
                body["secondaryKeyLastUpdated"] = .string(EmulatorRoutes.timestamp(Date()))
            case .batch: body["accountName"] = .string(r.name)
            default: break
            }
        }
        return .object(body)
    }

    /// Cosmos DB's `listConnectionStrings`.
    private func connectionStringsBody(_ r: EmulatedResource, base: String) -> JSONValue {
        let kinds: [(EmulatedResource.Slot, String, String)] = [
            (.primary, "Primary", "Primary SQL Connection String"), (.secondary, "Secondary", "Secondary SQL Connection String"),
            (.primaryReadOnly, "PrimaryReadonly", "Primary Read-Only SQL Connection String"),
            (.secondaryReadOnly, "SecondaryReadonly", "Secondary Read-Only SQL Connection String"),
        ]
        let entries = kinds.compactMap { slot, kind, description -> JSONValue? in
            guard let key = r.keys[slot], let build = r.type.connectionString else { return nil }
            return [
                "connectionString": .string(build(r, key.value, key.id, base)), "description": .string(description),
                "keyKind": .string(kind), "type": "Sql",
            ]
        }
        return ["connectionStrings": .array(entries)]
    }

    private func resourceBody(_ r: EmulatedResource, base: String, top: Bool) -> JSONValue {
        [
            "id": .string(top ? r.topID : r.id), "name": .string(top ? r.names[0] : r.name),
            "type": .string(top ? "\(r.type.provider)/\(r.type.shape[0])" : r.type.armType), "location": "westeurope", "tags": [:],
            "properties": r.type.properties(r, base, configuration.redisPort),
        ]
    }

    private func injectedError(_ status: Int, provider: String, headers: [(String, String)]) -> EmulatorResponse {
        let (code, message): (String, String) =
            switch status {
            case 429: ("TooManyRequests", "The request was throttled. Please retry after the time given in Retry-After.")
            case 500:
                (
                    "InternalServerError",
                    "Encountered internal server error. Diagnostic information: timestamp '\(EmulatorRoutes.timestamp(Date()))'."
                )
            case 502: ("BadGateway", "The gateway did not receive a response from '\(provider)' within the specified time period.")
            case 503: ("ServiceUnavailable", "The server (leader) is currently unable to handle the request due to a temporary overload.")
            case 504: ("GatewayTimeout", "The gateway did not receive a response from '\(provider)' within the specified time period.")
            case 403: ("AuthorizationFailed", "The client does not have authorization to perform this action.")
            case 404: ("ResourceNotFound", "The requested resource was not found.")
            case 409: ("Conflict", "The operation conflicts with another operation in progress.")
            default: ("Injected\(status)", "An injected fault.")
            }
        let extra: [(String, String)] = status == 429 || status == 503 ? [("Retry-After", "1")] : []
        return Self.json(status, ["error": ["code": code, "message": message]], headers: headers + extra)
    }
}
