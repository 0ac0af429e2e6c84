/// What the keys and connection strings of one resource type look like.
///
/// A value from ARM becomes a secret file only after it passed these rules: a key in the alphabet
/// the type issues and within a sane length (a range, not an exact count: Azure may lengthen keys),
/// a connection string made of exactly the expected fields, carrying exactly the checked key and an
/// endpoint of the resource's own host, and nowhere a character that a file format (`env`, `json`,
/// a template) would have to escape to keep the value one value. A garbage or hostile answer (a
/// newline that injects a variable into an `EnvironmentFile=`, a control character, a foreign
/// endpoint) is refused; the error says what is wrong and never quotes the value.
public struct KeyValueRules: Sendable, Hashable {
    /// The characters a key is made of.
    public enum Alphabet: String, Sendable, Hashable {
        /// Standard base64 with `=` padding (ACS, SignalR, SAS rules …).
        case base64
        /// Hexadecimal digits.
        case hex
        /// Letters and digits (Cognitive Services and Azure OpenAI, AI Search).
        case alphanumeric
    }

    /// The shape of a `name=value;…` connection string.
    public struct ConnectionStringShape: Sendable, Hashable {
        /// The field holding the endpoint URL (compared case-insensitively, as the SDKs do).
        public var endpointField: String
        /// The field holding the key.
        public var keyField: String
        /// Further fields the type writes (`version`, `sharedaccesskeyname`, `entitypath` …), lower case.
        public var otherFields: [String]
        /// The endpoint's URL schemes (`https`; `sb` for the Service Bus family).
        public var schemes: [String]
        /// The DNS suffixes of the type's endpoints (`communication.azure.com` …); the host's first
        /// label must be the resource's name. Loopback hosts (the emulator) are accepted too.
        public var hostSuffixes: [String]

        /// Creates a shape; field names are compared case-insensitively.
        public init(endpointField: String, keyField: String, otherFields: [String] = [], schemes: [String] = ["https"], hostSuffixes: [String]) {
            self.endpointField = endpointField.lowercased()
            self.keyField = keyField.lowercased()
            self.otherFields = otherFields.map { $0.lowercased() }
            self.schemes = schemes
            self.hostSuffixes = hostSuffixes
        }
    }

    /// Why a value from ARM was refused. Names the field and the rule, never the value.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        /// The answer's field (`secondaryKey`, `primaryConnectionString` …).
        public var field: String
        /// The broken rule.
        public var problem: String

        public var description: String { "\(field) \(problem)" }
    }

    /// The key alphabet.
    public var alphabet: Alphabet
    /// Accepted key lengths, in characters.
    public var length: ClosedRange<Int>
    /// The connection string's shape, for types whose answer carries one.
    public var connectionString: ConnectionStringShape?

    /// Creates rules.
    public init(alphabet: Alphabet, length: ClosedRange<Int>, connectionString: ConnectionStringShape?) {
        self.alphabet = alphabet
        self.length = length
        self.connectionString = connectionString
    }

    /// Checks one key.
    public func validateKey(_ value: String, field: String) throws(Violation) {
        if let problem = Self.unsafeCharacterProblem(value) { throw Violation(field: field, problem: problem) }
        let bytes = Array(value.utf8)
        guard length.contains(bytes.count) else {
            throw Violation(
                field: field,
                problem: "has \(bytes.count) characters; a key of this type has \(length.lowerBound) to \(length.upperBound)"
            )
        }
        switch alphabet {
        case .hex:
            guard bytes.allSatisfy(Self.isHexDigit) else { throw Violation(field: field, problem: "is not hexadecimal") }
        case .alphanumeric:
            guard bytes.allSatisfy(Self.isAlphanumeric) else { throw Violation(field: field, problem: "is not made of letters and digits") }
        case .base64:
            let padding = bytes.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, bytes.count % 4 == 0, bytes.dropLast(padding).allSatisfy(Self.isBase64Digit) else {
                throw Violation(field: field, problem: "is not base64 (only A-Z, a-z, 0-9, '+', '/' and up to two '=' at the end, in groups of four)")
            }
        }
    }

    /// Checks one connection string: its characters, its fields, its key (`key`, the answer's key of
    /// the same slot, when it has one) and its endpoint, whose host must start with `resourceName`.
    public func validateConnectionString(_ value: String, key: String?, field: String, resourceName: String) throws(Violation) {
        guard let shape = connectionString else {
            throw Violation(field: field, problem: "is not expected: this resource type has no connection string in its answer")
        }
        if let problem = Self.unsafeCharacterProblem(value) { throw Violation(field: field, problem: problem) }
        let fields: ConnectionString
        do {
            fields = try ConnectionString(parsing: value)
        } catch {
            throw Violation(field: field, problem: error.description)
        }
        for (name, _) in fields.fields where name != shape.endpointField && name != shape.keyField && !shape.otherFields.contains(name) {
            let known = ([shape.endpointField, shape.keyField] + shape.otherFields).joined(separator: ", ")
            throw Violation(field: field, problem: "has a field other than \(known)")
        }
        guard let endpoint = fields[shape.endpointField], let embeddedKey = fields[shape.keyField] else {
            throw Violation(field: field, problem: "lacks \(shape.endpointField) or \(shape.keyField)")
        }
        if let key {
            guard embeddedKey == key else {
                throw Violation(field: field, problem: "carries an \(shape.keyField) that is not the answer's key of the same slot")
            }
        } else {
            try validateKey(embeddedKey, field: "\(field).\(shape.keyField)")
        }
        guard Self.isEndpoint(endpoint, of: resourceName, schemes: shape.schemes, suffixes: shape.hostSuffixes) else {
            throw Violation(
                field: field,
                problem:
                    "has an \(shape.endpointField) that is not \(shape.schemes[0])://\(resourceName).…\(shape.hostSuffixes.first.map { "." + $0 } ?? "")/ (nor a loopback emulator)"
            )
        }
    }

    /// Why `value` cannot be written as one value in every format: a character outside printable
    /// ASCII (control characters, newlines, spaces, non-ASCII) or one that `env`, JSON or shell-like
    /// readers treat specially. `nil` when it is safe.
    public static func unsafeCharacterProblem(_ value: String) -> String? {
        for byte in value.utf8 {
            if byte < 0x21 || byte > 0x7E { return "holds a control character, a space or a non-ASCII character" }
            if forbidden.contains(byte) { return "holds a quote, backslash, '$', '#', '`' or brace, which no key or endpoint has" }
        }
        return nil
    }

    private static let forbidden: Set<UInt8> = Set("\"'\\`$#{}".utf8)

    /// Whether `value` is PEM text and nothing else: `-----BEGIN …-----` and `-----END …-----` lines
    /// of upper-case labels, base64 lines between them, joined by line feeds. An application's key
    /// and certificate are published as one, in the formats that carry line feeds safely.
    public static func isPEM(_ value: String) -> Bool {
        let lines = value.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first?.hasPrefix("-----BEGIN ") == true, lines.last?.hasPrefix("-----END ") == true else { return false }
        let base64 = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        let label = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ ".utf8)
        return lines.allSatisfy { line in
            for marker in ["-----BEGIN ", "-----END "] where line.hasPrefix(marker) {
                return line.hasSuffix("-----") && line.count > marker.count + 5
                    && line.dropFirst(marker.count).dropLast(5).utf8.allSatisfy { label.contains($0) }
            }
            return !line.isEmpty && line.utf8.allSatisfy { base64.contains($0) }
        }
    }

    private static func isEndpoint(_ text: String, of resourceName: String, schemes: [String], suffixes: [String]) -> Bool {
        // scheme://host[:port]/path, parsed by hand: only the shapes ARM and the emulator produce pass.
        guard let schemeEnd = text.firstRange(of: "://") else { return false }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !authority.contains("@"), !path.contains("?") else { return false }
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if EndpointPolicy.isLoopback(host: String(host)) { return scheme == "https" || scheme == "http" || schemes.contains(scheme) }
        guard schemes.contains(scheme), path.isEmpty || path == "/" else { return false }
        let labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels[0] == resourceName.lowercased() else { return false }
        let domain = labels.dropFirst().joined(separator: ".")
        return suffixes.contains { domain == $0 || domain.hasSuffix("." + $0) }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isBase64Digit(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }
}
