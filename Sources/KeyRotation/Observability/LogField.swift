import Logging

/// Every structured field keyrotd's journal entries carry, by one name. journald stores each as an
/// upper-cased field (`KEYROTD_RESOURCE=`), so these names are what operators filter on
/// (`journalctl KEYROTD_RESOURCE=acs-prod`): they are an interface, and change only with a note.
public enum LogField: String, CaseIterable, Sendable {
    /// The journal event (``JournalEvent``), from which the journal handler derives `MESSAGE_ID`.
    case event = "keyrotd_event"
    /// The configured resource name.
    case resource = "keyrotd_resource"
    /// The resource's step (``RotationStep/name``).
    case step = "keyrotd_step"
    /// A key slot (`primary`, `secondary`).
    case key = "keyrotd_key"
    /// Graph's `keyId` of an application's credential.
    case keyID = "keyrotd_key_id"
    /// Graph's `displayName` of an application's credential.
    case displayName = "keyrotd_display_name"
    /// `password` or `certificate`: which kind of application credential.
    case credentialKind = "keyrotd_credential_kind"
    /// When an application's credential ends.
    case expiresAt = "keyrotd_expires_at"
    /// A key's fingerprint (``KeyFingerprint``), never the key.
    case fingerprint = "keyrotd_fingerprint"
    /// The fingerprint keyrotd expected where another was found.
    case expectedFingerprint = "keyrotd_expected_fingerprint"
    /// When the next rotation is due.
    case nextDue = "keyrotd_next_due"
    /// When a failed step is retried.
    case retryAt = "keyrotd_retry_at"
    /// Failures in a row.
    case failures = "keyrotd_failures"
    /// The code of a failure (``CodedError``).
    case errorCode = "keyrotd_error_code"
    /// The consumers a regeneration waits for.
    case consumers = "keyrotd_consumers"
    /// Microseconds from ARM's regenerate answer to the key durably published.
    case publishLatencyMicroseconds = "keyrotd_publish_latency_us"
    /// Milliseconds until an HTTP request is tried again.
    case retryInMilliseconds = "keyrotd_retry_in_ms"
    /// A Key Vault.
    case vault = "keyrotd_vault"
    /// A Key Vault secret version.
    case vaultVersion = "keyrotd_vault_version"
    /// A Key Vault secret name.
    case secret = "keyrotd_secret"
    /// The control socket's path.
    case socket = "keyrotd_socket"
    /// A count or list of resources.
    case resources = "keyrotd_resources"
    /// A control client's user id.
    case peerUID = "keyrotd_peer_uid"
    /// A control client's process id.
    case peerPID = "keyrotd_peer_pid"
    /// The metrics file's path.
    case metricsFile = "keyrotd_metrics_file"
    /// A configured credential's name.
    case credential = "keyrotd_credential"
    /// Where systemd hands credentials over (`$CREDENTIALS_DIRECTORY`).
    case credentialStore = "keyrotd_credential_store"
    /// How many times a new key was tried against its data plane.
    case verifyAttempts = "keyrotd_verify_attempts"
    /// The HTTPS proxy in use (without credentials).
    case proxy = "keyrotd_proxy"
    /// The identity a credential stands for.
    case identity = "keyrotd_identity"
    /// A count or list of followers.
    case followers = "keyrotd_followers"
    /// A follower's name.
    case follower = "keyrotd_follower"
    /// A file's path.
    case file = "keyrotd_file"
    /// The executor the daemon's tasks run on.
    case executor = "keyrotd_executor"
    /// The configuration file's path.
    case config = "keyrotd_config"
    /// A hook's program.
    case hook = "keyrotd_hook"
    /// How long a hook ran, in milliseconds.
    case hookMilliseconds = "keyrotd_hook_ms"
    /// Where a hook was configured.
    case hookOrigin = "keyrotd_hook_origin"
    /// A hook's output (secrets redacted).
    case hookOutput = "keyrotd_hook_output"
    /// How much of a hook's output was cut off.
    case hookOutputDiscardedBytes = "keyrotd_hook_output_discarded_bytes"
    /// The resource id a stored record names, when it is not the configured one.
    case storedID = "stored_id"
    /// An HTTP status.
    case httpStatus = "http_status"
    /// ARM's `error.code`.
    case armErrorCode = "arm_error_code"
    /// Key Vault's `error.code`.
    case keyVaultErrorCode = "keyvault_error_code"
    /// The attempt of an HTTP request.
    case attempt = "attempt"
    /// An error's description, where the message names what failed.
    case error = "error"
    /// The high-availability group (its journal's URL).
    case group = "keyrotd_group"
    /// This node's name in its group.
    case node = "keyrotd_node"
    /// Why a leader stepped down (`lost`, `expired`, `released`).
    case stepDownReason = "keyrotd_step_down_reason"
}

/// Fields of one log entry, keyed by ``LogField``.
public typealias LogFields = [LogField: Logger.MetadataValue]

extension Dictionary where Key == String, Value == Logger.MetadataValue {
    /// swift-log metadata holding `fields`.
    public static func fields(_ fields: LogFields) -> Self {
        Dictionary(uniqueKeysWithValues: fields.map { ($0.key.rawValue, $0.value) })
    }

    /// The value of `field`.
    public subscript(field: LogField) -> Value? {
        get { self[field.rawValue] }
        set { self[field.rawValue] = newValue }
    }
}

extension Logger {
    /// The value of `field` in every entry this logger writes.
    public subscript(field field: LogField) -> Logger.MetadataValue? {
        get { self[metadataKey: field.rawValue] }
        set { self[metadataKey: field.rawValue] = newValue }
    }
}
