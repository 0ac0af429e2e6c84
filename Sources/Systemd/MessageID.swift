/// The journal `MESSAGE_ID` of each keyrotd event type, matched by `systemd/keyrotd.catalog`.
///
/// Log calls name their event with the `keyrotd_event` metadata key; the journal handler turns it
/// into `MESSAGE_ID=` so `journalctl MESSAGE_ID=…` and `journalctl -x` work.
public enum MessageID {
    /// Event name → 128-bit id (lower-case hex, as journald prints it).
    public static let byEvent: [String: String] = [
        "daemon-started": "11fbf28d4a3d4f13917ab633d6919ae4",
        "daemon-stopping": "c3bc370afdc347f59d5aa70e046395ea",
        "rotation-started": "1bb713372b56478a853a98d181adb563",
        "key-regenerated": "cc08bc46623f4fc49e2cca90eb759772",
        "secret-published": "90bf01057ca349e6bbc938f7ee0b8103",
        "rotation-completed": "8e1fafb21f46457f894665d36f831258",
        "rotation-failed": "882351fe54ee4c20873cd50788f5a6e7",
        "drift-detected": "1f0f2aec4fcb4b788241439498678026",
        "file-repair": "fcbfadecfc9e47748504ce526b65dc84",
        "resumed": "6a8b09cbc25d4109824f16d26b2914ba",
        "throttled": "0872c0065d0b4181b9f12668ea3eac49",
        "config-reloaded": "7a3f78f313974fc58f804fc051d4587a",
        "config-rejected": "50f80bfbeee548ebb2b99e542bc730f3",
        "watchdog-stalled": "a9dcb26793b443e9943ebc4cafbe512f",
        "hook-succeeded": "dcf3cb174740477993ea6398ca96cf49",
        "hook-failed": "f3f59369683d40af8fea8a461b13320d",
        "emergency-rotation": "52e39298cad444dd9f08f270070e2dd0",
        "operation-accepted": "d0191534eecb4bb69606229d763d3337",
        "operation-lost": "694aa8d11bc2414cb07b890be47e06bf",
        "vault-published": "ed252b17f9244c479fabf9157330b4f8",
        "vault-version-disabled": "795dc7505b874be1bb59502157383318",
        "follow-delivered": "04208f72ef594321ab880dfd42ef3c4d",
        "follow-confirmed": "a726b122554e49e9a51ee3b0d05fd391",
        "follow-failed": "9d26bf3ab02e4370abdafb5f7c92ffa0",
        "follow-recovered": "751554d290dc45788e5e7c06a020c9ab",
        "credential-missing": "8a04aa33eba54dd8be44848324526708",
    ]
}
