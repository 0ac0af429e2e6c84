/// A fault a test puts on Blob Storage calls (`POST /_emulator/storage-fault?answer=503&on=lease&count=3`):
/// an error status instead of serving, no answer at all, or a reset connection — the renewal that
/// fails with 5xx, the credential that lost its role (403), the storage that hangs or cannot be
/// reached.
struct StorageFault: Sendable, Equatable {
    /// What the faulted calls get.
    enum Answer: Sendable, Equatable {
        /// An XML error with this status (500, 503, 403 …) and the code Azure gives it.
        case status(Int)
        /// No answer.
        case hang
        /// A TCP reset.
        case reset

        /// `500`, `503`, `403` …, `hang` or `reset`.
        init?(_ text: String) {
            switch text {
            case "hang": self = .hang
            case "reset": self = .reset
            default:
                guard let status = Int(text), (400...599).contains(status) else { return nil }
                self = .status(status)
            }
        }
    }

    /// Which calls a fault applies to.
    enum Target: String, Sendable, CaseIterable {
        /// Lease actions (`comp=lease`).
        case lease
        /// Every other container and blob call.
        case blob
    }

    /// What the calls get.
    var answer: Answer
    /// Which calls.
    var targets: Set<Target>
    /// How many more calls get it; `nil` until the test turns it off.
    var remaining: Int?
}
