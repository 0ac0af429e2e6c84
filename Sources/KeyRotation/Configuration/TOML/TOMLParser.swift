/// A TOML 1.0 parser over the document's UTF-8 bytes.
///
/// The document is built as a tree of ``Node`` references, so that each header or dotted key walks
/// to its table and changes it in place (a `[[resource]]` array of 10,000 entries is never copied),
/// then turned into ``TOMLTable`` values once at the end.
struct TOMLParser {
    /// A table under construction.
    private final class Node {
        enum Entry {
            /// A value written after `=`: a scalar, an array or an inline table; nothing extends it.
            case value(TOMLValue)
            case table(Node)
            /// The tables of `[[…]]` headers; the last one is the one being written.
            case tables(Tables)
        }

        /// A reference, so that appending to a long array of tables never copies it.
        final class Tables {
            var nodes: [Node]
            init(_ nodes: [Node]) { self.nodes = nodes }
        }

        var entries: [String: Entry] = [:]
        /// Whether a header or a dotted key defined the table (so a later header for it is an error),
        /// as opposed to its having been made on the way to a deeper one.
        var defined = false

        var table: TOMLTable {
            var table = TOMLTable()
            for (key, entry) in entries {
                switch entry {
                case .value(let value): table[key] = value
                case .table(let node): table[key] = .table(node.table)
                case .tables(let tables): table[key] = .array(tables.nodes.map { .table($0.table) })
                }
            }
            return table
        }
    }

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private let root = Node()
    /// The table the last header opened.
    private var current: Node

    /// Prepares to parse `source`.
    init(source: String) {
        bytes = Array(source.utf8)
        current = root
        // A byte-order mark, which some editors write, is not part of the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Parses the whole document.
    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        while position < bytes.count {
            skipSpaces()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "["):
                try parseHeader()
            default:
                try parseKeyValue(into: current)
            }
            try endOfLine()
        }
        return root.table
    }

    // MARK: - Structure

    private mutating func parseHeader() throws(TOMLSyntaxError) {
        advance()
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { advance() }
        skipSpaces()
        let keys = try parseKey()
        try expect("]", "']' to close the table header")
        if isArray { try expect("]", "']]' to close the array-of-tables header") }
        let name = keys.joined(separator: ".")
        let parent = try walk(keys.dropLast(), from: root, dotted: false)
        let last = keys[keys.count - 1]
        let table = Node()
        table.defined = true
        switch (parent.entries[last], isArray) {
        case (nil, false):
            parent.entries[last] = .table(table)
        case (nil, true):
            parent.entries[last] = .tables(Node.Tables([table]))
        case (.table(let existing), false) where !existing.defined:
            existing.defined = true
            current = existing
            return
        case (.tables(let tables), true):
            tables.nodes.append(table)
        default:
            throw failure(isArray ? "'\(name)' is already defined and is not an array of tables" : "table '\(name)' is defined twice")
        }
        current = table
    }

    /// `key = value`, the key possibly dotted, into `table`.
    private mutating func parseKeyValue(into table: Node) throws(TOMLSyntaxError) {
        let keys = try parseKey()
        try expect("=", "'=' after the key")
        skipSpaces()
        let value = try parseValue()
        let parent = try walk(keys.dropLast(), from: table, dotted: true)
        let last = keys[keys.count - 1]
        guard parent.entries[last] == nil else { throw failure("duplicate key '\(keys.joined(separator: "."))'") }
        parent.entries[last] = .value(value)
    }

    /// The table at `keys` below `table`, made if missing; through an array of tables, its last one.
    private func walk(_ keys: ArraySlice<String>, from table: Node, dotted: Bool) throws(TOMLSyntaxError) -> Node {
        var node = table
        for key in keys {
            switch node.entries[key] {
            case nil:
                let child = Node()
                // A table made by a dotted key is defined by it: no header may open it again.
                child.defined = dotted
                node.entries[key] = .table(child)
                node = child
            case .table(let child):
                node = child
            case .tables(let tables) where !dotted:
                node = tables.nodes[tables.nodes.count - 1]
            default:
                throw failure("'\(key)' is already a value, not a table")
            }
        }
        return node
    }

    // MARK: - Keys

    /// A dotted key: `a`, `a.b`, `"a b".c`.
    private mutating func parseKey() throws(TOMLSyntaxError) -> [String] {
        var keys: [String] = []
        while true {
            skipSpaces()
            switch peek() {
            case UInt8(ascii: "\""):
                keys.append(try parseBasicString())
            case UInt8(ascii: "'"):
                keys.append(try parseLiteralString())
            case let byte? where Self.isBareKey(byte):
                let start = position
                while let byte = peek(), Self.isBareKey(byte) { advance() }
                keys.append(String(decoding: bytes[start..<position], as: UTF8.self))
            default:
                throw failure("expected a key")
            }
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return keys }
            advance()
        }
    }

    private static func isBareKey(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    // MARK: - Values

    private mutating func parseValue() throws(TOMLSyntaxError) -> TOMLValue {
        switch peek() {
        case UInt8(ascii: "\""):
            return .string(try startsWith("\"\"\"") ? parseMultilineBasicString() : parseBasicString())
        case UInt8(ascii: "'"):
            return .string(try startsWith("'''") ? parseMultilineLiteralString() : parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "{"):
            return try parseInlineTable()
        case nil, UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "#"):
            throw failure("expected a value")
        default:
            return try parseScalar()
        }
    }

    private mutating func parseArray() throws(TOMLSyntaxError) -> TOMLValue {
        advance()
        var elements: [TOMLValue] = []
        while true {
            skipBlank()
            if peek() == UInt8(ascii: "]") { break }
            elements.append(try parseValue())
            skipBlank()
            if peek() == UInt8(ascii: ",") {
                advance()
                continue
            }
            guard peek() == UInt8(ascii: "]") else { throw failure("expected ',' or ']' in the array") }
            break
        }
        advance()
        return .array(elements)
    }

    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        advance()
        let table = Node()
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            advance()
            return .table(table.table)
        }
        while true {
            try parseKeyValue(into: table)
            skipSpaces()
            if peek() == UInt8(ascii: ",") {
                advance()
                skipSpaces()
                continue
            }
            guard peek() == UInt8(ascii: "}") else { throw failure("expected ',' or '}' in the inline table (it must fit on one line)") }
            advance()
            return .table(table.table)
        }
    }

    /// A number, boolean, date or time: everything up to the next delimiter, then classified.
    private mutating func parseScalar() throws(TOMLSyntaxError) -> TOMLValue {
        let start = position
        while let byte = peek(), Self.isScalarByte(byte) { advance() }
        // A date and a time may be separated by one space ("1979-05-27 07:32:00").
        if position - start == 10, peek() == UInt8(ascii: " "), position + 3 < bytes.count, bytes[position + 3] == UInt8(ascii: ":") {
            advance()
            while let byte = peek(), Self.isScalarByte(byte) { advance() }
        }
        let token = String(decoding: bytes[start..<position], as: UTF8.self)
        if token == "true" { return .boolean(true) }
        if token == "false" { return .boolean(false) }
        if let value = Self.number(token) { return value }
        if Self.isDateTime(token) { return .datetime(token) }
        position = start
        throw failure(token.isEmpty ? "expected a value" : "'\(token)' is not a TOML value (strings need quotes)")
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        isBareKey(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    private static func number(_ token: String) -> TOMLValue? {
        var text = Substring(token)
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            let digits = text.dropFirst(2)
            guard underscoresBetweenDigits(digits), let value = Int(digits.filter { $0 != "_" }, radix: radix) else { return nil }
            return .integer(value)
        }
        var sign = ""
        if let first = text.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        switch text {
        case "inf": return .float(sign == "-" ? -.infinity : .infinity)
        case "nan": return .float(.nan)
        default: break
        }
        guard let first = text.first, first.isASCII, first.isNumber else { return nil }
        let isFloat = text.contains { $0 == "." || $0 == "e" || $0 == "E" }
        if isFloat {
            // Digits on both sides of the point, underscores only between digits, no leading zero.
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && underscoresBetweenDigits($0) }) else { return nil }
            guard !(parts[0].count > 1 && parts[0].hasPrefix("0")) else { return nil }
            let exponent = text.dropFirst(mantissa.count).dropFirst()
            if mantissa.count < text.count {
                let digits = exponent.first == "+" || exponent.first == "-" ? exponent.dropFirst() : exponent
                guard !digits.isEmpty, underscoresBetweenDigits(digits) else { return nil }
            }
            guard let value = Double(sign + text.filter { $0 != "_" }) else { return nil }
            return .float(value)
        }
        guard underscoresBetweenDigits(text), !(text.count > 1 && text.hasPrefix("0")),
            let value = Int(sign + text.filter { $0 != "_" })
        else { return nil }
        return .integer(value)
    }

    private static func underscoresBetweenDigits(_ text: Substring) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_", !text.contains("__") else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && $0.isHexDigit) }
    }

    private static func isDateTime(_ token: String) -> Bool {
        let allowed = Set("0123456789-:.TtZz+ ")
        guard token.allSatisfy({ allowed.contains($0) }) else { return false }
        let bytes = Array(token.utf8)
        let isDate = bytes.count >= 10 && bytes[4] == UInt8(ascii: "-") && bytes[7] == UInt8(ascii: "-")
        let isTime = bytes.count >= 8 && bytes[2] == UInt8(ascii: ":") && bytes[5] == UInt8(ascii: ":")
        return isDate || isTime
    }

    // MARK: - Strings

    private mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        advance()
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw failure("unterminated string") }
            advance()
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            default:
                try checkControl(byte)
                out.append(byte)
            }
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLSyntaxError) -> String {
        position += 3
        skipNewline()
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("unterminated multi-line string") }
            if startsWith("\"\"\"") {
                position += 3
                // Up to two more quotes belong to the content ("""a"""" is `a"`).
                for _ in 0..<2 where peek() == UInt8(ascii: "\"") {
                    out.append(UInt8(ascii: "\""))
                    advance()
                }
                return String(decoding: out, as: UTF8.self)
            }
            advance()
            if byte == UInt8(ascii: "\\") {
                // A backslash at the end of a line trims the line break and the blanks that follow.
                let save = (position, line, lineStart)
                skipSpaces()
                if peek() == UInt8(ascii: "\n") || startsWith("\r\n") {
                    while let next = peek(),
                        next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r")
                    {
                        advance()
                    }
                    continue
                }
                (position, line, lineStart) = save
                try parseEscape(into: &out)
            } else {
                if byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\r") { try checkControl(byte) }
                out.append(byte)
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        advance()
        let start = position
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw failure("unterminated string") }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                advance()
                return text
            }
            try checkControl(byte)
            advance()
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLSyntaxError) -> String {
        position += 3
        skipNewline()
        let start = position
        while true {
            guard peek() != nil else { throw failure("unterminated multi-line string") }
            if startsWith("'''") {
                var end = position
                position += 3
                for _ in 0..<2 where peek() == UInt8(ascii: "'") {
                    advance()
                    end += 1
                }
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            advance()
        }
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(TOMLSyntaxError) {
        guard let byte = peek() else { throw failure("unterminated string") }
        advance()
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 8, UInt8(ascii: "t"): 9, UInt8(ascii: "n"): 10, UInt8(ascii: "f"): 12, UInt8(ascii: "r"): 13,
            UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "\\"): UInt8(ascii: "\\"),
        ]
        if let replacement = simple[byte] {
            out.append(replacement)
            return
        }
        let length = byte == UInt8(ascii: "u") ? 4 : byte == UInt8(ascii: "U") ? 8 : 0
        guard length > 0 else { throw failure("invalid escape '\\\(Character(Unicode.Scalar(byte)))'") }
        guard position + length <= bytes.count,
            let code = UInt32(String(decoding: bytes[position..<position + length], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(code)
        else { throw failure("invalid Unicode escape") }
        position += length
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    private func checkControl(_ byte: UInt8) throws(TOMLSyntaxError) {
        if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { throw failure("control character in a string") }
    }

    // MARK: - Lexing

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private func startsWith(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return (0..<count).allSatisfy { bytes[position + $0] == text.utf8Start[$0] }
    }

    private mutating func advance() {
        if bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        position += 1
    }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { advance() }
    }

    private mutating func skipNewline() {
        if startsWith("\r\n") { position += 1 }
        if peek() == UInt8(ascii: "\n") { advance() }
    }

    /// Spaces, line breaks and comments (between array elements).
    private mutating func skipBlank() {
        while true {
            skipSpaces()
            switch peek() {
            case UInt8(ascii: "#"):
                while let byte = peek(), byte != UInt8(ascii: "\n") { advance() }
            case UInt8(ascii: "\n"):
                advance()
            case UInt8(ascii: "\r") where startsWith("\r\n"):
                position += 1
            default:
                return
            }
        }
    }

    /// Optional spaces and a comment, then a line break or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") {
            while let byte = peek(), byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\r") { advance() }
        }
        if startsWith("\r\n") { position += 1 }
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") else { throw failure("expected the end of the line") }
        advance()
    }

    private mutating func expect(_ character: Character, _ what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        guard let byte = peek(), byte == character.asciiValue else { throw failure("expected \(what)") }
        advance()
    }

    private func failure(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, column: position - lineStart + 1, message: message)
    }
}
