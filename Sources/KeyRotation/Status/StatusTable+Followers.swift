import FoundationEssentials

extension StatusTable {
    /// `keyrotd status`'s follower table: one row per follower, failing ones first and red.
    public static func followerLines(_ statuses: [FollowerStatus], now: Date, colour: Bool) -> [String] {
        let ordered = statuses.filter { $0.consecutiveFailures > 0 } + statuses.filter { $0.consecutiveFailures == 0 }
        let rows = ordered.map { s -> [String] in
            let version = s.version.map { v in "\(v.prefix(8)) \(s.fingerprint ?? "")" } ?? "-"
            let confirmed = s.confirmed.map { $0 ? "yes" : "no" } ?? "-"
            return [
                s.name, s.source, s.file, version, s.deliveredAt.map { ResourceStatus.relative($0, now: now) } ?? "-", confirmed,
                String(s.consecutiveFailures), s.lastError.map { String($0.prefix(100)) } ?? "-",
            ]
        }
        return aligned(
            header: ["FOLLOWER", "SECRET", "FILE", "VERSION", "DELIVERED", "CONFIRMED", "FAILURES", "LAST ERROR"],
            rows: rows,
            colours: ordered.map { $0.consecutiveFailures > 0 ? "31" : nil },
            colour: colour
        )
    }
}
