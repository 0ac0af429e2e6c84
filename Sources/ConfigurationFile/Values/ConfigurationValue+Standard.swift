import FoundationEssentials
import KeyRotation

extension String: ConfigurationValue {
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        self = try value.requireString()
    }
}

extension Bool: ConfigurationValue {
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        guard let bool = value.bool else { throw ValueProblem("must be true or false, not \(value.type)") }
        self = bool
    }
}

extension Int: ConfigurationValue {
    /// An integer in the declared range.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        guard let int = value.int else { throw ValueProblem("must be an integer, not \(value.type)") }
        if case .integer(let range) = key.kind, !range.contains(int) {
            throw ValueProblem("must be between \(range.lowerBound) and \(range.upperBound) (got \(int))")
        }
        self = int
    }
}

extension Double: ConfigurationValue {
    /// A number (an integer or a float) in the declared range.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        guard let number = value.double ?? value.int.map(Double.init) else { throw ValueProblem("must be a number, not \(value.type)") }
        if case .number(let range) = key.kind, !range.contains(number) {
            throw ValueProblem("must be a number from \(range.lowerBound) to \(range.upperBound) (got \(number))")
        }
        self = number
    }
}

extension Duration: ConfigurationValue {
    /// `30d`, `1h30m`, `500ms`, in the declared range.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let text = try value.requireString()
        guard let duration = DurationFormat.parse(text) else {
            throw ValueProblem("'\(text)' is not a duration; write a number and a unit: 30d, 12h, 15m, 90s or 500ms")
        }
        if case .duration(let range?) = key.kind, !range.contains(duration) {
            throw ValueProblem(
                "must be between \(DurationFormat.format(range.lowerBound)) and \(DurationFormat.format(range.upperBound)) (got \(text))"
            )
        }
        self = duration
    }
}

extension URL: ConfigurationValue {
    /// An absolute `https` URL, or plain `http` to a loopback address (an emulator).
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let text = try value.requireString()
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw ValueProblem("'\(text)' is not an absolute URL")
        }
        if scheme == "http" {
            if !EndpointPolicy.isLoopback(host: host) {
                throw ValueProblem("plain http is allowed only to a loopback address (an emulator); use https")
            }
        } else if scheme != "https" {
            throw ValueProblem("scheme must be https")
        }
        self = url
    }
}
