import KeyRotation

/// One configuration key, declared once beside the code that reads it (`X+Reading.swift`): its
/// name, where it may appear, the type that parses it, its range, its default, whether a reload
/// applies it, and what it means.
///
/// The reading takes from it which keys a table allows (and the "did you mean" for the others,
/// or "applies only to" for a key of another kind of the table), the type and range checks with
/// their messages, and what `[[resource]]` inherits from `[defaults]`; a reload, which changes need
/// a restart; the configuration table of docs/configuration.md, the annotated example's check and the manual are
/// made from the same declarations (``ConfigurationSchema``). A class: a reading passes each
/// declaration around some twenty times per resource, and a reference is one retain, not six.
public final class ConfigurationKey: Sendable, Equatable {
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
        /// `[[application]]`: one app registration whose client secret is rotated or watched.
        case application = "[[application]]"
        /// `[[resource.outputs]]`: a further file of a resource's key.
        case output = "[[resource.outputs]]"
        /// `[[follow]]`: a Key Vault secret another host's keyrotd writes, followed into a local file.
        case follow = "[[follow]]"
        /// `[ha]`: this node's high-availability group.
        case ha = "[ha]"
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

        /// One of the raw values of `type`, a string-backed enumeration.
        static func choice<T: CaseIterable & RawRepresentable>(_ type: T.Type) -> Kind where T.RawValue == String {
            .choice(T.allCases.map(\.rawValue))
        }

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
    /// The variants of its tables it applies to: the `kind`s of a `[credential.NAME]`, `file` or
    /// `key-vault` for a `[[resource.outputs]]` (empty: every variant).
    public let variants: [String]
    /// Its type and range.
    public let kind: Kind
    /// The type its value parses as; nil for an array of tables, which is read table by table.
    let valueType: (any ConfigurationValue.Type)?
    /// Whether a reload applies a change, or only a restart.
    public let reload: Reload
    /// Its value when not given.
    public let defaultValue: Default
    /// One line for the operator: what it does.
    public let summary: String

    /// When a change to a key takes effect.
    public enum Reload: Sendable, Equatable {
        /// At the next reload: what it configures is rebuilt or updated then.
        case live
        /// Only at the next start, because what it configures is made once (a directory taken
        /// over, a connection pool, a budget); a reload that changes it is refused. The field is
        /// where a reload finds the running and the new value to compare.
        case restart(any PartialKeyPath<DaemonSettings> & Sendable)

        public static func == (lhs: Reload, rhs: Reload) -> Bool {
            switch (lhs, rhs) {
            case (.live, .live): true
            case (.restart(let a), .restart(let b)): a == b
            default: false
            }
        }
    }

    /// Declares a key whose value parses as `valueType`.
    init(
        _ name: String,
        in tables: [Table],
        only variants: [String] = [],
        _ valueType: (any ConfigurationValue.Type)?,
        _ kind: Kind,
        default defaultValue: Default,
        reload: Reload = .live,
        _ summary: String
    ) {
        self.name = name
        self.tables = tables
        self.variants = variants
        self.valueType = valueType
        self.kind = kind
        self.defaultValue = defaultValue
        self.reload = reload
        self.summary = summary
    }

    public static func == (lhs: ConfigurationKey, rhs: ConfigurationKey) -> Bool {
        lhs.name == rhs.name && lhs.tables == rhs.tables && lhs.variants == rhs.variants && lhs.kind == rhs.kind
    }

    /// Four-digit octal, as `chmod` takes it.
    public static func octal(_ value: UInt32) -> String {
        let s = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
