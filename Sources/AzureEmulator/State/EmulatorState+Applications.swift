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

    /// Checks `secret` against the passwords of the application `clientID`. A password added less
    /// than the replication delay ago is accepted only by some replicas: with a probability that grows
    /// from 0 to 1 over the delay, so a client that stops at its first success is caught out.
    func checkSecret(_ secret: String, clientID: String) -> SecretVerdict {
        guard let application = application(clientID: clientID),
            let password = application.passwords.first(where: { !$0.secret.isEmpty && $0.secret == secret })
        else { return .wrong }
        if password.end <= Date() { return .expired(password.end) }
        let delay = configuration.faults.credentialReplicationDelay.seconds
        let age = now - password.addedAt
        if delay > 0, age < delay, roll() >= age / delay {
            count { $0.replicationRefusals += 1 }
            return .replicating
        }
        return .accepted
    }
}
