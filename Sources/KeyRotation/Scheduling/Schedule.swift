import FoundationEssentials

/// The scheduling maths, as pure functions so they can be property-tested.
public enum Schedule {
    /// When the rotation after one that completed at `completed` is due: `every` later, plus a
    /// random part of `jitter` chosen by `sample` (uniform over `UInt64`).
    public static func nextDue(after completed: Date, every: Duration, jitter: Duration, sample: UInt64) -> Date {
        let jitterMilliseconds = max(0, jitter.milliseconds)
        let offset = jitterMilliseconds == 0 ? 0 : Int64(sample % UInt64(jitterMilliseconds + 1))
        return completed.addingTimeInterval(Double(every.milliseconds + offset) / 1000)
    }

    /// The delay before retry number `failures` (1 for the first): doubling from `initial`, capped at
    /// `maximum`, with "full jitter" (uniform in [delay/2, delay]) so failing resources spread out.
    public static func retryDelay(failures: Int, initial: Duration, maximum: Duration, sample: UInt64) -> Duration {
        let exponent = min(max(failures - 1, 0), 30)
        let base = min(Double(initial.milliseconds) * Double(1 << exponent), Double(maximum.milliseconds))
        let fraction = Double(sample % 1_000_001) / 1_000_000
        return .milliseconds(Int64(base / 2 + base / 2 * fraction))
    }
}

/// A small, fast, seedable random generator (SplitMix64): value type, so the engine stays `Sendable`
/// and tests can fix the seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Seeds the generator.
    public init(seed: UInt64) { self.state = seed }

    /// Seeds the generator from the system's random source.
    public init() { self.state = UInt64.random(in: .min ... .max) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
