import FoundationEssentials

extension EmulatorState {
    /// The app registration with object id or application id `id`.
    func application(id: String) -> EmulatedApplication? {
        applications[id.lowercased()] ?? application(clientID: id)
    }

    /// The app registration whose application (client) id is `clientID`.
    func application(clientID: String) -> EmulatedApplication? {
        applications.values.first { $0.appID.lowercased() == clientID.lowercased() }
    }

    /// Registers an application and returns it.
    func register(_ application: EmulatedApplication) -> EmulatedApplication {
        applications[application.objectID.lowercased()] = application
        return application
    }

    /// Runs `body` on the application with object id `objectID` and keeps what it changed.
    func withApplication<T: Sendable>(_ objectID: String, _ body: (inout EmulatedApplication) -> T) -> T? {
        guard var application = applications[objectID.lowercased()] else { return nil }
        defer { applications[objectID.lowercased()] = application }
        return body(&application)
    }

    /// How a token request with an application's client secret fares.
    enum SecretVerdict: Sendable, Equatable {
        case accepted
        /// No password of the application has this secret (AADSTS7000215).
        case wrong
        /// The matching password ended at this instant (AADSTS7000222).
        case expired(Date)
        /// The password was added moments ago and this replica does not know it yet (AADSTS7000215).
        case replicating
    }

    /// Why a client assertion of the application `clientID` is refused (its signature, a
    /// certificate added within the replication delay as for passwords), or `nil`.
    func checkAssertion(_ jwt: String, clientID: String) -> (claims: JSONValue?, refusal: String?) {
        guard let application = application(clientID: clientID) else { return (nil, "application '\(clientID)' has no certificate") }
        let checked = application.checkSignature(of: jwt)
        guard checked.refusal == nil, let header = jwt.split(separator: ".").first.flatMap({ EmulatorState.base64URLDecode(String($0)) }),
            let parsed = JSONValue(parsing: header), let certificate = application.certificates.first(where: { $0.isNamed(by: parsed) })
        else { return checked }
        if replicating(since: certificate.addedAt) {
            return (checked.claims, "the certificate named by the token is not registered on application '\(application.appID)'")
        }
        return checked
    }

    /// Whether a credential added at `addedAt` is still unknown to the replica at hand: within the
    /// replication delay, with a probability falling from 1 to 0 over it.
    private func replicating(since addedAt: Double) -> Bool {
        let delay = configuration.faults.credentialReplicationDelay.seconds
        let age = now - addedAt
        guard delay > 0, age < delay, roll() >= age / delay else { return false }
        count { $0.replicationRefusals += 1 }
        return true
    }

    /// Checks `secret` against the passwords of the application `clientID`. A password added less
    /// than the replication delay ago is accepted only by some replicas: with a probability that grows
    /// from 0 to 1 over the delay, so a client that stops at its first success is caught out.
    func checkSecret(_ secret: String, clientID: String) -> SecretVerdict {
        guard let application = application(clientID: clientID),
            let password = application.passwords.first(where: { !$0.secret.isEmpty && $0.secret == secret })
        else { return .wrong }
        if password.end <= Date() { return .expired(password.end) }
        return replicating(since: password.addedAt) ? .replicating : .accepted
    }
}
