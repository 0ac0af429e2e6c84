/// This node's place in its high-availability group, as `keyrotd status`, its JSON and `STATUS=`
/// show it: the role, the leader's name and the epoch.
public struct GroupStatus: Sendable, Codable, Equatable {
    /// What this node is to the group.
    public enum Role: String, Sendable, Codable {
        /// This node holds the group's lease.
        case leader
        /// Another node holds it.
        case standby
        /// No node is seen holding it: the lease is free, or storage cannot be reached.
        case noLeader = "no leader"
    }

    /// The group (its journal's container URL).
    public var group: String
    /// This node's name.
    public var node: String
    /// Its role.
    public var role: Role
    /// The leading node's name, when known (this node's own while it leads; a standby reads it
    /// from the lease blob's metadata).
    public var leader: String?
    /// The epoch this node leads in, once it took the journal over.
    public var epoch: Int?
    /// Whether this node's rotators run: it leads, took the journal over and waited out its
    /// predecessor.
    public var rotating: Bool
    /// What a leader that does not rotate yet is doing (`taking the journal over`, `quiet until …`).
    public var note: String?
    /// How long no leader has been seen, while none is.
    public var withoutLeaderSeconds: Double?

    /// Creates a status.
    public init(
        group: String,
        node: String,
        role: Role,
        leader: String? = nil,
        epoch: Int? = nil,
        rotating: Bool = false,
        note: String? = nil,
        withoutLeaderSeconds: Double? = nil
    ) {
        self.group = group
        self.node = node
        self.role = role
        self.leader = leader
        self.epoch = epoch
        self.rotating = rotating
        self.note = note
        self.withoutLeaderSeconds = withoutLeaderSeconds
    }

    /// The part of `STATUS=` and of `keyrotd status`'s first line: `leader node-a (epoch 3)`,
    /// `standby node-b; the leader is node-a`, `node-b: no leader seen, nothing is rotated`. It
    /// leaves out how long, so the line changes only when the role does.
    public var text: String {
        switch role {
        case .leader:
            let epoch = self.epoch.map { " (epoch \($0))" } ?? ""
            return "leader \(node)\(epoch)" + (note.map { ", " + $0 } ?? "")
        case .standby:
            return "standby \(node); the leader is \(leader ?? "a node that does not name itself")"
        case .noLeader:
            return "\(node): no leader seen, nothing is rotated"
        }
    }

    /// Why this node does not rotate, for a `keyrotd rotate` sent to it; `nil` when it does.
    public var refusal: String? {
        guard !rotating else { return nil }
        switch role {
        case .leader:
            return "this node (\(node)) leads the group but does not rotate yet (\(note ?? "taking the journal over")); try again shortly"
        case .standby:
            return "this node (\(node)) is a standby; the leader is \(leader ?? "not named"): run `keyrotd rotate` on it"
        case .noLeader:
            return "no node of the group is seen leading (check the journal's storage account); nothing can be rotated now"
        }
    }
}
