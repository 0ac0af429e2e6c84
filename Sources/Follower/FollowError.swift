import FoundationEssentials
import KeyRotation

/// Why a follower did not deliver the secret's latest version; the file keeps the last good one.
public enum FollowError: Error, Sendable, CustomStringConvertible {
    /// The secret does not exist (yet).
    case noSecret(String)
    /// The latest version is disabled (someone disabled it by hand).
    case latestDisabled(String)
    /// The vault's answer carried no value.
    case noValue(String, version: String)
    /// The latest version is older than the one delivered: a restored backup or a wrong vault.
    case older(String, version: String, created: Date, delivered: String, deliveredCreated: Date)
    /// The value is not the leader's `json` layout, which `format` and `template` need.
    case notJSON(String, version: String)
    /// The value holds a character that cannot be written as text (NUL).
    case notText(String, version: String)
    /// The latest version was written by a leadership of a high-availability group older than one
    /// already delivered: a former leader kept writing after a newer one took over.
    case staleEpoch(String, version: String, epoch: Int, highest: Int)

    public var description: String {
        switch self {
        case .noSecret(let source):
            "\(source) does not exist; the leader creates it with its first publish. Check the vault and secret names against the leader's [[resource.outputs]]"
        case .latestDisabled(let source):
            "the latest version of \(source) is disabled; keeping the file. Enable it or have the leader publish again (keyrotd rotate on the leader)"
        case .noValue(let source, let version):
            "the vault answered for version \(version) of \(source) without a value; keeping the file"
        case .older(let source, let version, let created, let delivered, let deliveredCreated):
            "the latest version \(version) of \(source) (created \(created.formatted(.iso8601))) is older than the delivered \(delivered) (created \(deliveredCreated.formatted(.iso8601))); keyrotd never writes an older value. Check that the vault was not restored from a backup"
        case .notJSON(let source, let version):
            "version \(version) of \(source) is not keyrotd's json layout, which this follower's format or template needs: set format = \"json\" on the leader's Key Vault output, or remove format and template here"
        case .notText(let source, let version):
            "version \(version) of \(source) holds a NUL character; keeping the file"
        case .staleEpoch(let source, let version, let epoch, let highest):
            "version \(version) of \(source) was written by the group's leadership \(epoch), older than leadership \(highest) whose version was delivered: a former leader wrote after a newer one took over; keeping the file. keyrotd status on the group's nodes names the leader"
        }
    }
}
