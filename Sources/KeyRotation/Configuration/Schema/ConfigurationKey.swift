/// One configuration key, declared once: its name, where it may appear, its type and range, its
/// default and what it means.
///
/// The loader takes from it which keys a table allows (and the "did you mean" for the others), the
/// type and range checks with their messages, and the defaults; the README's configuration table,
/// the annotated example's check and the manual are made from the same declarations
/// (``ConfigurationSchema``), so adding a key is one edit.
public struct ConfigurationKey: Sendable, Equatable {
    /// The tables a key may appear in.
    public enum Table: String, Sendable, CaseIterable {
        /// `[daemon]`: daemon-wide settings.
        case daemon = "[daemon]"
        /// `[credential.NAME]`: one Azure identity.
        case credential = "[credential.NAME]"
        /// `[defaults]`: inherited by every `[[resource]]`.
        case defaults = "[defaults]"
        /// `[[resource]]`: one resource to rotate.
        case resource = "[[resource]]"
        /// `[[resource.outputs]]`: a further file of a resource's key.
        case output = "[[resource.outputs]]"
        /// `[[follow]]`: a Key Vault secret another host's keyrotd writes, followed into a local file.
        case follow = "[[follow]]"
    }

    /// What a value must be.
    public enum Kind: Sendable, Equatable {
        /// Any string.
        case string
        /// A file or directory path: relative to the configuration file, `${VAR}` expanded.
        case path
        /// An `https` URL (plain `http` only to a loopback address).
        case url
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// A number (integer or float) in the range.
        case number(ClosedRange<Double>)
        /// `true` or `false`.
        case boolean
        /// A duration (`30d`, `1h30m`, `500ms`) in the range, if one is given.
        case duration(ClosedRange<Duration>?)
        /// One of the listed words.
        case choice([String])
        /// Octal permission bits, `"0640"` or `0o640`.
        case mode
        /// A program and its arguments, as an array of strings.
        case command
        /// An array of paths.
        case paths
        /// An array of strings.
        case strings
        /// An array of tables (`[[…]]`).
        case tables
        /// A table of string values (`{ team = "payments" }`).
        case stringTable

        /// The type's name in the documentation.
        public var name: String {
            switch self {
            case .string: "string"
            case .path: "path"
            case .url: "URL"
            case .integer: "integer"
            case .number: "number"
            case .boolean: "boolean"
            case .duration: "duration"
            case .choice: "string"
            case .mode: "mode"
            case .command: "array of strings"
            case .paths: "array of paths"
            case .strings: "array of strings"
            case .tables: "array of tables"
            case .stringTable: "table of strings"
            }
        }
    }

    /// The value a key has when the file does not give it.
    public enum Default: Sendable, Equatable {
        /// Unset: the feature is off, or the value comes from elsewhere (said in `described`).
        case none
        /// The key must be given.
        case required
        /// A value that depends on other settings, described for the documentation.
        case described(String)
        /// A string (or path, URL, choice).
        case string(String)
        /// An integer.
        case integer(Int)
        /// A number.
        case number(Double)
        /// A duration.
        case duration(Duration)
        /// A boolean.
        case boolean(Bool)
        /// File mode bits.
        case mode(UInt32)

        /// How the documentation writes it.
        public var documentation: String {
            switch self {
            case .none: "–"
            case .required: "required"
            case .described(let text): text
            case .string(let text): "`\(text)`"
            case .integer(let value): "`\(value)`"
            case .number(let value): value == value.rounded() ? "`\(Int(value))`" : "`\(value)`"
            case .duration(let value): "`\(DurationFormat.format(value))`"
            case .boolean(let value): "`\(value)`"
            case .mode(let value): "`\(ConfigurationKey.octal(value))`"
            }
        }
    }

    /// The key as written in the file.
    public let name: String
    /// Where it may appear.
    public let tables: [Table]
    /// For `[credential.NAME]` keys: the `kind`s of identity it applies to (empty: every kind).
    public let credentialKinds: [String]
    /// Its type and range.
    public let kind: Kind
    /// Its value when not given.
    public let defaultValue: Default
    /// One line for the operator: what it does.
    public let summary: String

    /// Declares a key.
    public init(
        _ name: String,
        in tables: [Table],
        kinds credentialKinds: [String] = [],
        _ kind: Kind,
        default defaultValue: Default,
        _ summary: String
    ) {
        self.name = name
        self.tables = tables
        self.credentialKinds = credentialKinds
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// The declared default string; only for keys whose default is one.
    public var defaultString: String {
        guard case .string(let value) = defaultValue else { preconditionFailure("\(name) has no string default") }
        return value
    }

    /// The declared default integer; only for keys whose default is one.
    public var defaultInteger: Int {
        guard case .integer(let value) = defaultValue else { preconditionFailure("\(name) has no integer default") }
        return value
    }

    /// The declared default number; only for keys whose default is one.
    public var defaultNumber: Double {
        guard case .number(let value) = defaultValue else { preconditionFailure("\(name) has no number default") }
        return value
    }

    /// The declared default duration; only for keys whose default is one.
    public var defaultDuration: Duration {
        guard case .duration(let value) = defaultValue else { preconditionFailure("\(name) has no duration default") }
        return value
    }

    /// The declared default boolean; only for keys whose default is one.
    public var defaultBoolean: Bool {
        guard case .boolean(let value) = defaultValue else { preconditionFailure("\(name) has no boolean default") }
        return value
    }

    /// The declared default mode; only for keys whose default is one.
    public var defaultMode: UInt32 {
        guard case .mode(let value) = defaultValue else { preconditionFailure("\(name) has no mode default") }
        return value
    }

    /// Four-digit octal, as `chmod` takes it.
    static func octal(_ value: UInt32) -> String {
        let s = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
