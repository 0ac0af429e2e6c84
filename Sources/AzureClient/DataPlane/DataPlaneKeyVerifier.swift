import FoundationEssentials
import KeyRotation
import Logging

/// Verifies a new key against the resource's data plane with the type's read-only call
/// (``DataPlaneClient``), retrying with backoff while Azure settles: a regenerated key can be
/// refused for a short while after ARM returned it.
public final class DataPlaneKeyVerifier: KeyVerifier {
    private let client: DataPlaneClient
    private let id: ResourceID
    private let patience: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger

    /// Creates the verifier; it gives a key `patience` to start working.
    public init(
        client: DataPlaneClient,
        id: ResourceID,
        patience: Duration = .seconds(300),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        logger: Logger
    ) {
        self.client = client
        self.id = id
        self.patience = patience
        self.sleep = sleep
        self.logger = logger
    }

    public func verify(_ material: KeyMaterial) async throws {
        var waited: Duration = .zero
        var delay: Duration = .milliseconds(500)
        var attempts = 0
        while true {
            attempts += 1
            let outcome = await client.check(material, id: id)
            if outcome == .accepted {
                logger.info(
                    "the new \(material.slot) key works against the \(id.type.title) data plane",
                    metadata: .fields([.key: .string(material.slot.rawValue), .verifyAttempts: .stringConvertible(attempts)])
                )
                return
            }
            if waited >= patience {
                throw KeyVerificationError(slot: material.slot, type: id.type.title, outcome: outcome, waited: waited, attempts: attempts)
            }
            logger.notice(
                "the new \(material.slot) key does not work yet against the \(id.type.title) data plane (\(outcome)); waiting before publishing it",
                metadata: .fields([.key: .string(material.slot.rawValue), .retryInMilliseconds: .stringConvertible(delay.milliseconds)])
            )
            try await sleep(delay)
            waited += delay
            delay = min(delay * 2, .seconds(30))
        }
    }
}

/// A new key still did not authenticate against the data plane after the verifier's patience.
public struct KeyVerificationError: Error, Sendable, CustomStringConvertible {
    /// The key.
    public var slot: KeySlot
    /// The resource type's name.
    public var type: String
    /// The last answer.
    public var outcome: DataPlaneClient.Outcome
    /// How long it was given.
    public var waited: Duration
    /// How many calls were made.
    public var attempts: Int

    public var description: String {
        "the new \(slot) key still does not work against the \(type) data plane after \(attempts) attempts over \(Int(waited / .seconds(1))) s (\(outcome)); it is not published and consumers keep the key they have. The step is retried; check the resource's endpoint and that its data plane is reachable from this host"
    }
}
