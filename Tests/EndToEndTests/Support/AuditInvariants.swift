import AzureEmulator

/// keyrotd's invariants, read from the emulator's own record of what it carried out (`--audit`)
/// rather than from keyrotd's view of it.
struct AuditInvariants {
    /// What broke, one line each; empty when every invariant held.
    private(set) var violations: [String] = []
    /// Regenerations of a key that had been published: at least one shows that the emulator's
    /// fingerprints and keyrotd's tags agree, so the first check could have failed.
    private(set) var publishedKeysReplaced = 0
    /// Regenerations in the record.
    private(set) var regenerations = 0

    /// Checks `events` of a group whose resources publish to the secret `secret(resource)`:
    /// - no key is regenerated while the latest version of its secret holds it, nor within
    ///   `grace` of the version that replaced it (less `tolerance`, the emulator's own timing);
    /// - no journal write of an older epoch goes ahead after one of a newer epoch;
    /// - the epochs of each secret's versions never go backwards.
    init(_ events: [AuditEvent], grace: Double, tolerance: Double = 0.05, secret: (String) -> String) {
        var latest: [String: String] = [:]
        var supersededAt: [String: Double] = [:]
        var highestJournalEpoch = 0
        var highestVersionEpoch: [String: Int] = [:]
        for event in events {
            switch event.kind {
            case .versionCreated:
                guard let name = event.secret, let fingerprint = event.tags?["keyrotd-fingerprint"] else { continue }
                if let previous = latest[name], previous != fingerprint { supersededAt[previous] = event.at }
                latest[name] = fingerprint
                if let epoch = event.tags?["keyrotd-epoch"].flatMap({ Int($0) }) {
                    if epoch < highestVersionEpoch[name, default: 0] {
                        violations.append("\(name): a version of epoch \(epoch) after one of epoch \(highestVersionEpoch[name, default: 0])")
                    }
                    highestVersionEpoch[name] = max(epoch, highestVersionEpoch[name, default: 0])
                }
            case .regenerated:
                guard let resource = event.resource, let replaced = event.replaced else { continue }
                regenerations += 1
                if latest[secret(resource)] == replaced {
                    violations.append("\(resource): its \(event.slot ?? "?") key \(replaced) was regenerated at \(event.at) while published")
                } else if let since = supersededAt[replaced] {
                    publishedKeysReplaced += 1
                    if event.at - since < grace - tolerance {
                        violations.append(
                            "\(resource): its \(event.slot ?? "?") key \(replaced) was regenerated \(event.at - since) s after it stopped being published (grace \(grace) s)"
                        )
                    }
                }
            case .blobWritten:
                guard let epoch = event.epoch else { continue }
                if epoch < highestJournalEpoch {
                    violations.append("\(event.blob ?? "?"): a journal write of epoch \(epoch) went ahead after epoch \(highestJournalEpoch) wrote")
                }
                highestJournalEpoch = max(highestJournalEpoch, epoch)
            }
        }
    }
}
