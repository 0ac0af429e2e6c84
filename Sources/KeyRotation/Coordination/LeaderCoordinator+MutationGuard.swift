extension LeaderCoordinator: MutationGuard {
    /// Permits an action while this node leads with a lease that holds `horizon` longer.
    public func permit(within horizon: Duration) throws {
        guard holds(for: horizon) else { throw NotLeader(node: node) }
    }
}
