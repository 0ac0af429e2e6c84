/// A value of a TOML document, as `TOMLParser` reads it (TOML 1.0; the toml-test suite is the
/// check).
enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// A date, time or date-time, validated; no keyrotd setting takes one.
    case datetime(TOMLDateTime)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The string, if this is one.
    var string: String? { if case .string(let s) = self { s } else { nil } }
    /// The integer, if this is one.
    var int: Int? { if case .integer(let i) = self { i } else { nil } }
    /// The float, if this is one.
    var double: Double? { if case .float(let d) = self { d } else { nil } }
    /// The boolean, if this is one.
    var bool: Bool? { if case .boolean(let b) = self { b } else { nil } }
    /// The elements, if this is an array.
    var array: [TOMLValue]? { if case .array(let a) = self { a } else { nil } }
    /// The table, if this is one.
    var table: TOMLTable? { if case .table(let t) = self { t } else { nil } }

    /// The TOML type's name, for messages ("must be a string, not integer").
    var type: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .datetime: "date-time"
        case .array: "array"
        case .table: "table"
        }
    }
}
