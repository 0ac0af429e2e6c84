import FoundationEssentials
import Glibc
import SystemPackage

/// The consumers of one resource that must confirm they loaded the published key before keyrotd
/// regenerates the key they are leaving: each either writes the key's fingerprint (`sha256:` and the
/// first 16 hex digits of the key's SHA-256, never the key) to an acknowledgement file, is asked
/// through a check command that exits 0 once it runs on that key, or is a follower on another host
/// that tags the Key Vault version it delivered. When to ask and how long to wait is the rotation
/// machine's (``RotationPolicy/ConsumerWait``); this only asks.
///
/// A class: a resource without consumers holds a `nil` reference instead of the fields inline.
public final class ConsumerConfirmations: Sendable {
    /// Files each consumer writes the fingerprint of the key it loaded to.
    public let ackFiles: [String]
    /// A command that exits 0 when every consumer it knows of runs on `KEYROTD_FINGERPRINT`.
    public let command: HookCommand?
    /// Followers (by name) that must confirm the published key's Key Vault version.
    public let followers: [String]
    private let runner: any HookRunner
    private let followerSource: (any FollowerConfirmationSource)?

    /// Creates the check; `followerSource` reads the confirmations of `followers`.
    public init(
        ackFiles: [String],
        command: HookCommand?,
        followers: [String] = [],
        runner: any HookRunner,
        followerSource: (any FollowerConfirmationSource)? = nil
    ) {
        self.ackFiles = ackFiles
        self.command = command
        self.followers = followers
        self.runner = runner
        self.followerSource = followerSource
    }

    /// The consumers (files, command) that have not confirmed `fingerprint` of `resource`'s `slot` key.
    public func unconfirmed(_ fingerprint: KeyFingerprint, resource: String, slot: KeySlot) async -> [String] {
        var missing = ackFiles.filter { Self.acknowledged(in: $0) != fingerprint.value }
        if let command {
            let environment = [
                "PATH": HookCommand.searchPath,
                "KEYROTD_RESOURCE": resource,
                "KEYROTD_KEY": slot.rawValue,
                "KEYROTD_FINGERPRINT": fingerprint.value,
            ]
            if await !runner.run(command, environment: environment, redacting: []).succeeded { missing.append(command.program) }
        }
        if !followers.isEmpty {
            do {
                // Names as the operator wrote them on two hosts: a difference in case is no other follower.
                let confirmed = Set((try await followerSource?.followers(confirming: fingerprint) ?? []).map { $0.lowercased() })
                missing += followers.filter { !confirmed.contains($0.lowercased()) }.map { "follower \($0)" }
            } catch {
                // An unreadable vault confirms nothing; the next poll asks again.
                missing += followers.map { "follower \($0) (the vault did not answer: \(error))" }
            }
        }
        return missing
    }

    /// The fingerprint an acknowledgement file holds (only its start is read: it is a consumer's file).
    private static func acknowledged(in path: String) -> String? {
        // A regular file only: opening a FIFO someone put there would block the rotation.
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        guard let file = try? FileDescriptor.open(path, .readOnly, options: .closeOnExec) else { return nil }
        defer { try? file.close() }
        guard let bytes = try? file.read(upTo: 256) else { return nil }
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }
}

/// The consumers did not confirm the published key in time. keyrotd keeps the key they may still
/// use alive and goes on asking; this error is the alarm.
public struct ConfirmationOverdue: CodedError, Sendable, CustomStringConvertible {
    /// The consumers that have not confirmed.
    public var consumers: [String]
    /// The published key they should have loaded.
    public var slot: KeySlot
    /// Its fingerprint.
    public var fingerprint: KeyFingerprint
    /// How long ago it was published.
    public var waited: Duration

    /// `confirmation-overdue`.
    public var code: String { "confirmation-overdue" }

    public var description: String {
        "consumers have not confirmed loading the \(slot) key \(fingerprint) published \(DurationFormat.format(.seconds(Int64(waited / .seconds(1))))) ago: \(consumers.joined(separator: ", ")). keyrotd keeps the key they may still use alive and waits; check that they reload the secret file and write the fingerprint to their acknowledgement file (or that the check command succeeds), and that each follower runs (keyrotd status on its host)"
    }
}
