/// Parses and prints the durations the configuration uses: `30d`, `12h`, `15m`, `90s`, `250ms`,
/// and sums of them such as `1h30m`.
public enum DurationFormat {
    /// Parses `text`, or returns `nil` when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var rest = Substring(text.trimmingCharacters(in: " "))
        guard !rest.isEmpty else { return nil }
        var totalMilliseconds: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 12, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let (suffix, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(suffix.count)
            let (product, overflow) = number.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            totalMilliseconds += product
        }
        return .milliseconds(totalMilliseconds)
    }

    /// Prints `duration` in the largest units that describe it exactly (`1d2h`, `90s`, `250ms`).
    public static func format(_ duration: Duration) -> String {
        var milliseconds = duration.milliseconds
        guard milliseconds > 0 else { return "0s" }
        var out = ""
        for (suffix, factor) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
            let count = milliseconds / factor
            if count > 0 {
                out += "\(count)\(suffix)"
                milliseconds -= count * factor
            }
        }
        return out
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return s
    }
}

extension Duration {
    /// The whole number of milliseconds in this duration.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds as a floating-point number.
    public var seconds: Double { Double(milliseconds) / 1000 }
}
