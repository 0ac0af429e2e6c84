import FoundationEssentials

/// Control routes that set up app registrations for tests and the demo, as an administrator would in
/// the portal, and show them without secrets.
extension EmulatorRoutes {
    /// `POST /_emulator/applications` registers an application; `GET /_emulator/applications/{id}`
    /// shows one (its passwords without secrets).
    ///
    /// The body of a registration: `displayName`; `owners`, client ids or `writer` (the built-in
    /// writer) or `self` (the application's own service principal), default `["writer"]`;
    /// `personal` (a sign-in audience with personal accounts: two passwords at most);
    /// `maxPasswordLifetimeDays` (an app-management policy); `passwords`, each with `displayName`
    /// and `days` of lifetime (negative: already expired); `certificateDays`, a certificate of that
    /// lifetime. The answer holds `id`, `appId`, the `passwords` made, with `keyId` and `secretText`,
    /// and the certificate's `certificatePEM` and `privateKeyPEM`.
    func applicationControl(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        if request.method == "GET", segments.count == 3 {
            guard let application = await state.application(id: segments[2]) else {
                return Self.json(404, ["error": ["code": "NotFound", "message": "no application \(segments[2])"]])
            }
            return Self.json(200, application.json(select: nil))
        }
        guard request.method == "POST", segments.count == 2, let body = JSONValue(parsing: request.body.isEmpty ? Array("{}".utf8) : request.body)
        else {
            return Self.json(400, ["error": ["code": "InvalidApplication", "message": "POST a JSON object, or GET /_emulator/applications/{id}"]])
        }
        let appID = UUID().uuidString.lowercased()
        let owners: [String] = body["owners"].flatMap { if case .array(let values) = $0 { values.compactMap(\.string) } else { nil } } ?? ["writer"]
        var application = EmulatedApplication(
            objectID: UUID().uuidString.lowercased(),
            appID: appID,
            displayName: body["displayName"]?.string ?? "keyrotd-emulated-app",
            signInAudience: body["personal"]?.bool == true ? "AzureADandPersonalMicrosoftAccount" : "AzureADMyOrg",
            owners: Set(owners.map { $0 == "writer" ? state.writer.clientID : $0 == "self" ? appID : $0 }),
            maxPasswordLifetime: body["maxPasswordLifetimeDays"]?.number.map { .seconds($0 * 86_400) }
        )
        var made: [JSONValue] = []
        let passwords: [JSONValue] = body["passwords"].flatMap { if case .array(let values) = $0 { values } else { nil } } ?? []
        let now = Date()
        for password in passwords {
            let days = password["days"]?.number ?? 365
            let end = now.addingTimeInterval(days * 86_400)
            let added = EmulatedApplication.Password(
                keyID: UUID().uuidString.lowercased(),
                displayName: password["displayName"]?.string ?? "",
                secret: Self.newClientSecret(),
                start: min(now, end.addingTimeInterval(-86_400)),
                end: end,
                addedAt: -.infinity
            )
            application.passwords.append(added)
            made.append(["keyId": .string(added.keyID), "secretText": .string(added.secret)])
        }
        var answer: [String: JSONValue] = ["passwords": .array(made)]
        if let days = body["certificateDays"]?.number {
            do {
                let (certificate, certificatePEM, keyPEM) = try EmulatedApplication.Certificate.make(
                    displayName: "bootstrap",
                    days: days,
                    addedAt: -.infinity
                )
                application.certificates.append(certificate)
                answer["certificatePEM"] = .string(certificatePEM)
                answer["privateKeyPEM"] = .string(keyPEM)
            } catch {
                return Self.json(500, ["error": ["code": "CertificateFailed", "message": .string("\(error)")]] as JSONValue)
            }
        }
        let registered = await state.register(application)
        answer["id"] = .string(registered.objectID)
        answer["appId"] = .string(registered.appID)
        return Self.json(201, JSONValue.object(answer))
    }
}
