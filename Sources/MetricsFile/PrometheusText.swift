/// Prometheus' text exposition format (0.0.4, what node_exporter's textfile collector reads): per
/// metric family a `# HELP` and a `# TYPE` line, then one line per sample.
///
/// Written here rather than with swift-prometheus' registry: keyrotd's figures live in its records
/// and are read when the file is written, so a registry would hold a second copy of each, one
/// object per series (39 MB more RSS at 10,000 resources, and 75 s to register them, as each new
/// series copies its family; docs/performance.md), and its counters cannot take the totals the
/// records keep.
public struct PrometheusText: Sendable {
    /// A family's type.
    public enum Kind: String, Sendable {
        /// Only goes up (resets when the daemon restarts); the name ends in `_total`.
        case counter
        /// Goes up and down.
        case gauge
    }

    /// One sample: its labels and value.
    public struct Sample: Sendable {
        /// Label names and values, in order.
        public var labels: [(name: String, value: String)]
        /// The value.
        public var value: Double

        /// Creates a sample.
        public init(_ labels: [(name: String, value: String)], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// Appends the family `name` with its samples. A family without samples is left out.
    public mutating func family(_ name: String, _ kind: Kind, help: String, _ samples: [Sample]) {
        guard !samples.isEmpty else { return }
        precondition(Self.isValidName(name), "metric name \(name)")
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                text += "{"
                text += sample.labels.map { "\($0.name)=\"\(Self.escapeLabel($0.value))\"" }.joined(separator: ",")
                text += "}"
            }
            text += " \(Self.format(sample.value))\n"
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidName(_ name: String) -> Bool {
        let letter = { (c: Unicode.Scalar) in c.isASCII && (c.properties.isAlphabetic || c == "_" || c == ":") }
        guard let first = name.unicodeScalars.first, letter(first) else { return false }
        return name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }

    /// HELP text escapes backslash and line feed.
    static func escapeHelp(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabel(_ value: String) -> String {
        escapeHelp(value).replacing("\"", with: "\\\"")
    }

    /// Whole numbers without a fraction (counts, whole seconds), others as Swift prints them
    /// (shortest round-tripping form, which Go's ParseFloat reads), and Prometheus' spellings of
    /// the non-finite values.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
