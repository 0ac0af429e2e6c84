import Synchronization

/// A token scope a service names in its first `401` challenge (Key Vault's `resource`), learned
/// once per client and checked before any token is sent for it: a wrong or hostile URL must not
/// receive a token for a scope it names.
final class ChallengedScope: Sendable {
    private let learned = Mutex<String?>(nil)
    private let accept: @Sendable (HTTPResponseData) throws -> String

    /// Creates the scope; `accept` returns the scope a challenge names, or throws the client's error
    /// when it is not one the service may ask for.
    init(accept: @escaping @Sendable (HTTPResponseData) throws -> String) {
        self.accept = accept
    }

    /// The scope, once a challenge named an acceptable one.
    var value: String? { learned.withLock { $0 } }

    /// Learns the scope `response`'s challenge names.
    ///
    /// - Throws: what `accept` throws for a scope the service may not ask for.
    func learn(from response: HTTPResponseData) throws {
        let scope = try accept(response)
        learned.withLock { $0 = scope }
    }
}
