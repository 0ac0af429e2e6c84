import FoundationEssentials

/// A regeneration ARM accepted with `202` and runs in the background (SignalR, Web PubSub, Event
/// Grid, Cosmos DB), journaled before it is polled so a restart follows it instead of guessing.
public struct LongRunningOperation: Sendable, Codable, Equatable {
    /// The key being regenerated.
    public var slot: KeySlot
    /// The URL to poll: ARM's `Azure-AsyncOperation` header, or its `Location`.
    public var url: String
    /// Whether ``url`` is an `Azure-AsyncOperation` (a status document) rather than a `Location`
    /// (202 until done).
    public var isAsyncOperation: Bool
    /// When ARM accepted it.
    public var acceptedAt: Date

    /// Creates the record of an accepted operation.
    public init(slot: KeySlot, url: String, isAsyncOperation: Bool, acceptedAt: Date) {
        self.slot = slot
        self.url = url
        self.isAsyncOperation = isAsyncOperation
        self.acceptedAt = acceptedAt
    }

    /// How a journaled operation ended, as found after a restart.
    public enum Outcome: Sendable, Equatable {
        /// It succeeded; the keys were read afterwards.
        case completed(AccessKeys)
        /// It can no longer be followed (expired, unknown to ARM): the key is regenerated again,
        /// which the invariant allows, since the key is not published.
        case lost
        /// ARM reports it failed or was cancelled: the key did not change.
        case failed(String)
    }
}
