import FoundationEssentials

/// A JSON document from ARM, read by field paths: the answers of sixteen resource types differ in
/// their field names, not in their structure, so one reader serves all of them.
enum ARMJSON: Sendable, Decodable, Equatable {
    case object([String: ARMJSON])
    case array([ARMJSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var fields: [String: ARMJSON] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(ARMJSON.self, forKey: key) }
            self = .object(fields)
        } else if var array = try? decoder.unkeyedContainer() {
            var items: [ARMJSON] = []
            while !array.isAtEnd { items.append(try array.decode(ARMJSON.self)) }
            self = .array(items)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let bool = try? single.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? single.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try single.decode(String.self))
            }
        }
    }

    /// Parses `bytes`; `nil` when they are not JSON.
    init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONDecoder().decode(ARMJSON.self, from: Data(bytes)) else { return nil }
        self = value
    }

    /// The field `name` of an object.
    subscript(name: String) -> ARMJSON? {
        if case .object(let fields) = self { return fields[name] }
        return nil
    }

    /// The value at `path`.
    subscript(path path: [String]) -> ARMJSON? {
        path.reduce(Optional(self)) { value, name in value?[name] }
    }

    /// The string, if this is one.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The items, if this is an array.
    var array: [ARMJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Whether this is an object.
    var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}
