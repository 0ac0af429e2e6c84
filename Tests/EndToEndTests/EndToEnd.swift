import Testing

/// All end-to-end suites run one after the other: they start real processes that compete for the
/// machine's two cores, and the consumer checks are about timing.
@Suite(.serialized)
enum EndToEnd {}
