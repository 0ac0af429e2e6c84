import Logging

/// Every event keyrotd writes to the journal: its name (the `KEYROTD_EVENT` field), its
/// `MESSAGE_ID` (explained by `systemd/keyrotd.catalog`, so `journalctl -x` and
/// `journalctl MESSAGE_ID=…` work), its level, and the catalog entry's subject. The catalog test
/// iterates this enum: an event without an entry, or an entry without an event, fails it.
public enum JournalEvent: String, CaseIterable, Sendable {
    /// keyrotd started.
    case daemonStarted = "daemon-started"
    /// keyrotd stopped.
    case daemonStopping = "daemon-stopping"
    /// Key rotation started for a resource.
    case rotationStarted = "rotation-started"
    /// The KEYROTD_KEY key of a resource was regenerated.
    case keyRegenerated = "key-regenerated"
    /// The KEYROTD_KEY key of a resource was published.
    case secretPublished = "secret-published"
    /// Key rotation of a resource completed.
    case rotationCompleted = "rotation-completed"
    /// A rotation step of a resource failed.
    case rotationFailed = "rotation-failed"
    /// The published key of a resource was regenerated outside keyrotd.
    case driftDetected = "drift-detected"
    /// The secret file of a resource is being repaired.
    case fileRepair = "file-repair"
    /// An interrupted rotation of a resource is resumed.
    case resumed = "resumed"
    /// Azure Resource Manager throttled keyrotd.
    case throttled = "throttled"
    /// keyrotd configuration reloaded.
    case configReloaded = "config-reloaded"
    /// keyrotd configuration rejected; the previous one stays in force.
    case configRejected = "config-rejected"
    /// keyrotd's scheduler stopped making progress.
    case watchdogStalled = "watchdog-stalled"
    /// on_publish hook for a resource succeeded.
    case hookSucceeded = "hook-succeeded"
    /// on_publish hook for a resource failed.
    case hookFailed = "hook-failed"
    /// EMERGENCY rotation of a resource.
    case emergencyRotation = "emergency-rotation"
    /// ARM runs the regeneration of a key of a resource in the background.
    case operationAccepted = "operation-accepted"
    /// A background regeneration of a resource could no longer be followed.
    case operationLost = "operation-lost"
    /// The key of a resource is in Key Vault.
    case vaultPublished = "vault-published"
    /// A Key Vault version of a resource holding a regenerated key was disabled.
    case vaultVersionDisabled = "vault-version-disabled"
    /// Follower KEYROTD_FOLLOWER delivered a new version of KEYROTD_SECRET.
    case followDelivered = "follow-delivered"
    /// Follower KEYROTD_FOLLOWER confirmed version KEYROTD_VAULT_VERSION to the leader.
    case followConfirmed = "follow-confirmed"
    /// Follower KEYROTD_FOLLOWER cannot follow KEYROTD_SECRET.
    case followFailed = "follow-failed"
    /// Follower KEYROTD_FOLLOWER follows KEYROTD_SECRET again.
    case followRecovered = "follow-recovered"
    /// Credential KEYROTD_CREDENTIAL was not handed over: KEYROTD_FILE is missing.
    case credentialMissing = "credential-missing"
    /// ARM answered a resource with a retryable error.
    case armRetry = "arm-retry"
    /// The regeneration of a key of a resource waits for its consumers.
    case consumersAwaited = "consumers-awaited"
    /// Every consumer of a resource confirmed the published key.
    case consumersConfirmed = "consumers-confirmed"
    /// This node acquired the group's lease and leads.
    case leaderElected = "leader-elected"
    /// This node stopped leading: the lease was lost, its trust ran out, or it released it.
    case leaderSteppedDown = "leader-stepped-down"
    /// No node of the group is seen leading for longer than a lease: nothing is rotated.
    case groupLeaderless = "group-leaderless"
    /// The replaced credential of an application was removed after grace.
    case keyRetired = "key-retired"
    /// A credential of an application expired or expires soon.
    case credentialExpiring = "credential-expiring"

    /// The 128-bit `MESSAGE_ID`, lower-case hex as journald prints it.
    public var messageID: String {
        switch self {
        case .daemonStarted: "11fbf28d4a3d4f13917ab633d6919ae4"
        case .daemonStopping: "c3bc370afdc347f59d5aa70e046395ea"
        case .rotationStarted: "1bb713372b56478a853a98d181adb563"
        case .keyRegenerated: "cc08bc46623f4fc49e2cca90eb759772"
        case .secretPublished: "90bf01057ca349e6bbc938f7ee0b8103"
        case .rotationCompleted: "8e1fafb21f46457f894665d36f831258"
        case .rotationFailed: "882351fe54ee4c20873cd50788f5a6e7"
        case .driftDetected: "1f0f2aec4fcb4b788241439498678026"
        case .fileRepair: "fcbfadecfc9e47748504ce526b65dc84"
        case .resumed: "6a8b09cbc25d4109824f16d26b2914ba"
        case .throttled: "0872c0065d0b4181b9f12668ea3eac49"
        case .configReloaded: "7a3f78f313974fc58f804fc051d4587a"
        case .configRejected: "50f80bfbeee548ebb2b99e542bc730f3"
        case .watchdogStalled: "a9dcb26793b443e9943ebc4cafbe512f"
        case .hookSucceeded: "dcf3cb174740477993ea6398ca96cf49"
        case .hookFailed: "f3f59369683d40af8fea8a461b13320d"
        case .emergencyRotation: "52e39298cad444dd9f08f270070e2dd0"
        case .operationAccepted: "d0191534eecb4bb69606229d763d3337"
        case .operationLost: "694aa8d11bc2414cb07b890be47e06bf"
        case .vaultPublished: "ed252b17f9244c479fabf9157330b4f8"
        case .vaultVersionDisabled: "795dc7505b874be1bb59502157383318"
        case .followDelivered: "04208f72ef594321ab880dfd42ef3c4d"
        case .followConfirmed: "a726b122554e49e9a51ee3b0d05fd391"
        case .followFailed: "9d26bf3ab02e4370abdafb5f7c92ffa0"
        case .followRecovered: "751554d290dc45788e5e7c06a020c9ab"
        case .credentialMissing: "8a04aa33eba54dd8be44848324526708"
        case .armRetry: "e37eae84135a47d1847c7a1f4a746a54"
        case .consumersAwaited: "a752a347d92e4e30be3c01286eef6666"
        case .consumersConfirmed: "8bd0d84223cf455791f24a4fd463bb52"
        case .leaderElected: "aa17dd2ec1b5414ba21548982a207c9b"
        case .leaderSteppedDown: "dea0f78edc9d4974909f88ef0dc1c37a"
        case .groupLeaderless: "47c7d558fe8c4f7d8bfdead988e03f69"
        case .keyRetired: "3d722b3c400e4356a2000ae796fbb8ca"
        case .credentialExpiring: "bb8768ed7e8a438e8a3b3c5004023541"
        }
    }

    /// The level every entry of this event is logged at.
    public var level: Logger.Level {
        switch self {
        case .daemonStarted: .notice
        case .daemonStopping: .notice
        case .rotationStarted: .info
        case .keyRegenerated: .info
        case .secretPublished: .info
        case .rotationCompleted: .notice
        case .rotationFailed: .error
        case .driftDetected: .error
        case .fileRepair: .warning
        case .resumed: .notice
        case .throttled: .notice
        case .configReloaded: .notice
        case .configRejected: .error
        case .watchdogStalled: .critical
        case .hookSucceeded: .info
        case .hookFailed: .error
        case .emergencyRotation: .critical
        case .operationAccepted: .info
        case .operationLost: .notice
        case .vaultPublished: .info
        case .vaultVersionDisabled: .info
        case .followDelivered: .notice
        case .followConfirmed: .info
        case .followFailed: .error
        case .followRecovered: .notice
        case .credentialMissing: .error
        case .armRetry: .notice
        case .consumersAwaited: .notice
        case .consumersConfirmed: .info
        case .leaderElected: .notice
        case .leaderSteppedDown: .warning
        case .groupLeaderless: .error
        case .keyRetired: .info
        case .credentialExpiring: .warning
        }
    }

    /// The catalog entry's `Subject:` line (journald fills in the `@FIELD@`s).
    public var subject: String {
        switch self {
        case .daemonStarted: "keyrotd started"
        case .daemonStopping: "keyrotd stopped"
        case .rotationStarted: "Key rotation started for @KEYROTD_RESOURCE@"
        case .keyRegenerated: "The @KEYROTD_KEY@ key of @KEYROTD_RESOURCE@ was regenerated"
        case .secretPublished: "The @KEYROTD_KEY@ key of @KEYROTD_RESOURCE@ was published"
        case .rotationCompleted: "Key rotation of @KEYROTD_RESOURCE@ completed"
        case .rotationFailed: "A rotation step of @KEYROTD_RESOURCE@ failed"
        case .driftDetected: "The published key of @KEYROTD_RESOURCE@ was regenerated outside keyrotd"
        case .fileRepair: "The secret file of @KEYROTD_RESOURCE@ is being repaired"
        case .resumed: "An interrupted rotation of @KEYROTD_RESOURCE@ is resumed"
        case .throttled: "Azure Resource Manager throttled keyrotd"
        case .configReloaded: "keyrotd configuration reloaded"
        case .configRejected: "keyrotd configuration rejected; the previous one stays in force"
        case .watchdogStalled: "keyrotd's scheduler stopped making progress"
        case .hookSucceeded: "on_publish hook for @KEYROTD_RESOURCE@ succeeded"
        case .hookFailed: "on_publish hook for @KEYROTD_RESOURCE@ failed"
        case .emergencyRotation: "EMERGENCY rotation of @KEYROTD_RESOURCE@"
        case .operationAccepted: "ARM runs the regeneration of a key of @KEYROTD_RESOURCE@ in the background"
        case .operationLost: "A background regeneration of @KEYROTD_RESOURCE@ could no longer be followed"
        case .vaultPublished: "The key of @KEYROTD_RESOURCE@ is in Key Vault"
        case .vaultVersionDisabled: "A Key Vault version of @KEYROTD_RESOURCE@ holding a regenerated key was disabled"
        case .followDelivered: "Follower @KEYROTD_FOLLOWER@ delivered a new version of @KEYROTD_SECRET@"
        case .followConfirmed: "Follower @KEYROTD_FOLLOWER@ confirmed version @KEYROTD_VAULT_VERSION@ to the leader"
        case .followFailed: "Follower @KEYROTD_FOLLOWER@ cannot follow @KEYROTD_SECRET@"
        case .followRecovered: "Follower @KEYROTD_FOLLOWER@ follows @KEYROTD_SECRET@ again"
        case .credentialMissing: "Credential @KEYROTD_CREDENTIAL@ was not handed over: @KEYROTD_FILE@ is missing"
        case .armRetry: "ARM answered @KEYROTD_RESOURCE@ with a retryable error"
        case .consumersAwaited: "The regeneration of a key of @KEYROTD_RESOURCE@ waits for its consumers"
        case .consumersConfirmed: "Every consumer of @KEYROTD_RESOURCE@ confirmed the published key"
        case .leaderElected: "Node @KEYROTD_NODE@ leads group @KEYROTD_GROUP@"
        case .leaderSteppedDown: "Node @KEYROTD_NODE@ stopped leading group @KEYROTD_GROUP@"
        case .groupLeaderless: "Group @KEYROTD_GROUP@ has no reachable leader"
        case .keyRetired: "The replaced @KEYROTD_KEY@ credential of @KEYROTD_RESOURCE@ was removed"
        case .credentialExpiring: "A credential of application @KEYROTD_RESOURCE@ expires soon or has expired"
        }
    }
}
