/// A TOML 1.0 parser over the document's UTF-8 bytes, which records where every key was written.
///
/// It passes the whole toml-test suite for TOML 1.0.0 (`Tests/toml-test`): what another tool
/// (Python's `tomllib`, an editor) reads from a file is what keyrotd reads, and a document they
/// refuse, keyrotd refuses too.
///
/// The document is built as a tree of ``Node`` references, so that each header or dotted key walks
/// to its table and changes it in place (a `[[resource]]` array of 10,000 entries is never copied),
/// then turned into ``TOMLTable`` values once at the end.
///
/// Which tables may be opened or extended again is TOML 1.0's rule, as `tomllib` applies it: a
/// `[header]` defines its table once; a table that dotted keys made or extended belongs to the
/// section they were written in, and after it neither a header nor another section's dotted keys
/// may add to it; a dotted key never reaches into a table a header defined, nor into an array of
/// tables; inline tables and arrays are complete once written.
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
        var positions: [String: TOMLPosition] = [:]
        let position: TOMLPosition?
        /// Opened by a `[header]` or a `[[header]]`: no header may open it again, and no dotted key
        /// may add to it.
        var definedByHeader = false
        /// The section whose dotted keys made or extended it; from the next section on it is closed.
        var dottedSection: Int?

        init(position: TOMLPosition?) { self.position = position }

        var table: TOMLTable {
            var table = TOMLTable()
            table.position = position
            table.positions = positions
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

    /// A key segment and where it was written.
    private typealias Key = (name: String, position: TOMLPosition)

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private let root = Node(position: nil)
    /// The table the last header opened.
    private var current: Node
    /// The section keys are written in: 0 before the first header, then one per header; each
    /// inline table is a section of its own, numbered down from -1.
    private var section = 0
    private var lastInlineSection = 0

    /// Prepares to parse `bytes`.
    init(bytes: [UInt8]) {
        self.bytes = bytes
        current = root
        // A byte-order mark, which some editors write, is not part of the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Parses the whole document.
    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLTable {
        if let invalid = Self.firstInvalidUTF8(bytes) {
            position = invalid
            line = 1 + bytes[..<invalid].count { $0 == UInt8(ascii: "\n") }
            lineStart = (bytes[..<invalid].lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
            throw failure("the file is not valid UTF-8")
        }
        while position < bytes.count {
            skipSpaces()
            switch peek() {
            case nil, UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
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
        // `[[` opens an array of tables only when the brackets touch.
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { advance() }
        let keys = try parseKey()
        try expect("]", isArray ? "']]' to close the array-of-tables header" : "']' to close the table header")
        if isArray {
            guard peek() == UInt8(ascii: "]") else { throw failure("expected ']]' to close the array-of-tables header") }
            advance()
        }
        section += 1
        let name = keys.map(\.name).joined(separator: ".")
        var parent = root
        for key in keys.dropLast() {
            switch parent.entries[key.name] {
            case nil:
                let child = Node(position: key.position)
                parent.entries[key.name] = .table(child)
                parent.positions[key.name] = key.position
                parent = child
            case .table(let child):
                parent = child
            case .tables(let tables):
                parent = tables.nodes[tables.nodes.count - 1]
            case .value:
                throw failure("'\(key.name)' is already a value, not a table")
            }
        }
        let last = keys[keys.count - 1]
        switch (parent.entries[last.name], isArray) {
        case (nil, _):
            let table = Node(position: last.position)
            table.definedByHeader = true
            parent.entries[last.name] = isArray ? .tables(Node.Tables([table])) : .table(table)
            parent.positions[last.name] = last.position
            current = table
        case (.tables(let tables), true):
            let table = Node(position: last.position)
            table.definedByHeader = true
            tables.nodes.append(table)
            current = table
        case (.table(let existing), false):
            if existing.definedByHeader { throw failure("table '\(name)' is defined twice") }
            if existing.dottedSection != nil { throw failure("table '\(name)' was already defined with dotted keys") }
            existing.definedByHeader = true
            current = existing
        case (.tables, false):
            throw failure("'\(name)' is an array of tables; add an element with [[\(name)]]")
        case (.table, true):
            throw failure("'\(name)' is already a table, not an array of tables")
        case (.value, _):
            throw failure("'\(name)' is already a value, not a table")
        }
    }

    /// `key = value`, the key possibly dotted, into `table`.
    private mutating func parseKeyValue(into table: Node) throws(TOMLSyntaxError) {
        let keys = try parseKey()
        try expect("=", "'=' after the key")
        skipSpaces()
        let value = try parseValue()
        var parent = table
        for key in keys.dropLast() {
            switch parent.entries[key.name] {
            case nil:
                let child = Node(position: key.position)
                child.dottedSection = section
                parent.entries[key.name] = .table(child)
                parent.positions[key.name] = key.position
                parent = child
            case .table(let child):
                if child.definedByHeader {
                    throw failure("table '\(key.name)' was defined by a [header]; a dotted key cannot add to it")
                }
                if let owner = child.dottedSection, owner != section {
                    throw failure("table '\(key.name)' was defined with dotted keys in another section")
                }
                child.dottedSection = section
                parent = child
            case .tables:
                throw failure("'\(key.name)' is an array of tables; a dotted key cannot add to it")
            case .value:
                throw failure("'\(key.name)' is already a value, not a table")
            }
        }
        let last = keys[keys.count - 1]
        guard parent.entries[last.name] == nil else {
            throw failure("duplicate key '\(keys.map(\.name).joined(separator: "."))'")
        }
        parent.entries[last.name] = .value(value)
        parent.positions[last.name] = last.position
    }

    // MARK: - Keys

    /// A dotted key: `a`, `a.b`, `"a b".c`.
    private mutating func parseKey() throws(TOMLSyntaxError) -> [Key] {
        var keys: [Key] = []
        while true {
            skipSpaces()
            let at = here
            switch peek() {
            case UInt8(ascii: "\""):
                if startsWith("\"\"\"") { throw failure("a key cannot be a multi-line string") }
                keys.append((try parseBasicString(), at))
            case UInt8(ascii: "'"):
                if startsWith("'''") { throw failure("a key cannot be a multi-line string") }
                keys.append((try parseLiteralString(), at))
            case let byte? where Self.isBareKey(byte):
                let start = position
                while let byte = peek(), Self.isBareKey(byte) { advance() }
                keys.append((String(decoding: bytes[start..<position], as: UTF8.self), at))
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
            try skipBlank()
            if peek() == UInt8(ascii: "]") { break }
            elements.append(try parseValue())
            try skipBlank()
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

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma; its dotted keys form a section of their own.
    private mutating func parseInlineTable() throws(TOMLSyntaxError) -> TOMLValue {
        let table = Node(position: here)
        advance()
        let outer = section
        lastInlineSection -= 1
        section = lastInlineSection
        defer { section = outer }
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
                continue
            }
            guard peek() == UInt8(ascii: "}") else {
                throw failure("expected ',' or '}' in the inline table (it must fit on one line, without a trailing comma)")
            }
            advance()
            return .table(table.table)
        }
    }

    /// A number, boolean, date or time: everything up to the next delimiter, then classified.
    private mutating func parseScalar() throws(TOMLSyntaxError) -> TOMLValue {
        let start = position
        let startColumn = here
        while let byte = peek(), Self.isScalarByte(byte) { advance() }
        // A date and a time may be separated by one space ("1979-05-27 07:32:00").
        if position - start == 10, bytes[start + 4] == UInt8(ascii: "-"), peek() == UInt8(ascii: " "), position + 3 < bytes.count,
            Self.isDigit(bytes[position + 1]), Self.isDigit(bytes[position + 2]), bytes[position + 3] == UInt8(ascii: ":")
        {
            advance()
            while let byte = peek(), Self.isScalarByte(byte) { advance() }
        }
        let token = bytes[start..<position]
        let text = String(decoding: token, as: UTF8.self)
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        let looksLikeDate = token.count >= 5 && token.prefix(4).allSatisfy(Self.isDigit) && token[start + 4] == UInt8(ascii: "-")
        let looksLikeTime = token.count >= 3 && token.prefix(2).allSatisfy(Self.isDigit) && token[start + 2] == UInt8(ascii: ":")
        if looksLikeDate || looksLikeTime {
            do {
                return .datetime(try TOMLDateTime(parsing: token))
            } catch {
                throw TOMLSyntaxError(
                    line: startColumn.line,
                    column: startColumn.column,
                    message: "'\(text)' is not a valid date or time: \(error.reason)"
                )
            }
        }
        if let number = Self.number(token) { return number }
        let first = token.first ?? 0
        let numeric =
            Self.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || text.hasSuffix("inf") || text.hasSuffix("nan")
        throw TOMLSyntaxError(
            line: startColumn.line,
            column: startColumn.column,
            message: token.isEmpty
                ? "expected a value" : numeric ? "'\(text)' is not a valid number" : "'\(text)' is not a TOML value (strings need quotes)"
        )
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        isBareKey(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// An integer (decimal, `0x`, `0o`, `0b`) or a float, by TOML's grammar exactly; `nil` if `token` is neither.
    private static func number(_ token: ArraySlice<UInt8>) -> TOMLValue? {
        var rest = token
        var sign: UInt8?
        if let first = rest.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            sign = first
            rest = rest.dropFirst()
        }
        let negative = sign == UInt8(ascii: "-")
        if rest.elementsEqual("inf".utf8) { return .float(negative ? -.infinity : .infinity) }
        if rest.elementsEqual("nan".utf8) { return .float(.nan) }
        if sign == nil, rest.count > 2, rest.first == UInt8(ascii: "0") {
            let radix: Int? =
                switch rest[rest.startIndex + 1] {
                case UInt8(ascii: "x"): 16
                case UInt8(ascii: "o"): 8
                case UInt8(ascii: "b"): 2
                default: nil
                }
            if let radix {
                let digits = rest.dropFirst(2)
                guard separatedDigits(digits, radix: radix),
                    let value = Int(String(decoding: digits.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self), radix: radix)
                else { return nil }
                return .integer(value)
            }
        }
        // [+-] int [. digits] [(e|E) [+-] digits]
        let integer = rest.prefix { isDigit($0) || $0 == UInt8(ascii: "_") }
        guard separatedDigits(integer, radix: 10) else { return nil }
        if integer.count > 1, integer.first == UInt8(ascii: "0") { return nil }  // no leading zeros
        var index = integer.endIndex
        var isFloat = false
        if index < rest.endIndex, rest[index] == UInt8(ascii: ".") {
            let fraction = rest[(index + 1)...].prefix { isDigit($0) || $0 == UInt8(ascii: "_") }
            guard separatedDigits(fraction, radix: 10) else { return nil }
            index = fraction.endIndex
            isFloat = true
        }
        if index < rest.endIndex, rest[index] == UInt8(ascii: "e") || rest[index] == UInt8(ascii: "E") {
            var exponentStart = index + 1
            if exponentStart < rest.endIndex, rest[exponentStart] == UInt8(ascii: "+") || rest[exponentStart] == UInt8(ascii: "-") {
                exponentStart += 1
            }
            let exponent = rest[exponentStart...].prefix { isDigit($0) || $0 == UInt8(ascii: "_") }
            guard separatedDigits(exponent, radix: 10) else { return nil }
            index = exponent.endIndex
            isFloat = true
        }
        guard index == rest.endIndex else { return nil }
        let cleaned = String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if isFloat { return Double(cleaned).map { .float($0) } }
        return Int(cleaned).map { .integer($0) }
    }

    /// Digits of `radix`, at least one, with each `_` between two digits.
    private static func separatedDigits(_ text: ArraySlice<UInt8>, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return false }
        var previousUnderscore = false
        for byte in text {
            if byte == UInt8(ascii: "_") {
                if previousUnderscore { return false }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            default: return false
            }
            if value >= radix { return false }
        }
        return true
    }

    // MARK: - Strings

    private mutating func parseBasicString() throws(TOMLSyntaxError) -> String {
        advance()
        // Most strings hold no escape: take the run of plain bytes at once.
        let start = position
        while position < bytes.count, case let byte = bytes[position], byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"),
            !Self.isControl(byte)
        {
            position += 1
        }
        var out = Array(bytes[start..<position])
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw failure("unterminated string (a string in \"quotes\" ends on its line)")
            }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                advance()
                try parseEscape(into: &out)
            default:
                try checkControl(byte, "a string")
                out.append(byte)
                advance()
            }
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLSyntaxError) -> String {
        position += 3
        try skipNewline()
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("unterminated multi-line string") }
            if byte == UInt8(ascii: "\"") {
                if closesMultiline(quote: byte, into: &out) { return String(decoding: out, as: UTF8.self) }
                continue
            }
            if byte == UInt8(ascii: "\\") {
                advance()
                // A backslash ending a line trims the line break and the blanks and breaks that follow.
                let save = (position, line, lineStart)
                skipSpaces()
                if peek() == UInt8(ascii: "\n") || startsWith("\r\n") {
                    while true {
                        skipSpaces()
                        guard peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") else { break }
                        try skipNewline()
                    }
                    continue
                }
                (position, line, lineStart) = save
                try parseEscape(into: &out)
            } else {
                try takeMultilineContent(byte, into: &out)
            }
        }
    }

    /// One byte of a multi-line string's content: a line break (LF or CRLF) becomes `\n`; a control
    /// character is an error.
    private mutating func takeMultilineContent(_ byte: UInt8, into out: inout [UInt8]) throws(TOMLSyntaxError) {
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            try skipNewline()
            out.append(UInt8(ascii: "\n"))
        } else {
            try checkControl(byte, "a string")
            out.append(byte)
            advance()
        }
    }

    private mutating func parseLiteralString() throws(TOMLSyntaxError) -> String {
        advance()
        let start = position
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw failure("unterminated string (a string in 'quotes' ends on its line)")
            }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                advance()
                return text
            }
            try checkControl(byte, "a string")
            advance()
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLSyntaxError) -> String {
        position += 3
        try skipNewline()
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure("unterminated multi-line string") }
            if byte == UInt8(ascii: "'") {
                if closesMultiline(quote: byte, into: &out) { return String(decoding: out, as: UTF8.self) }
                continue
            }
            try takeMultilineContent(byte, into: &out)
        }
    }

    /// At a quote inside a multi-line string: a run of three or more ends it, and up to two quotes
    /// before the closing three belong to the content (`"""a""""` is `a"`). Returns whether it ended.
    private mutating func closesMultiline(quote: UInt8, into out: inout [UInt8]) -> Bool {
        var run = 0
        while position + run < bytes.count, bytes[position + run] == quote, run < 5 { run += 1 }
        guard run >= 3 else {
            out.append(contentsOf: repeatElement(quote, count: run))
            position += run
            return false
        }
        out.append(contentsOf: repeatElement(quote, count: run - 3))
        position += run
        return true
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(TOMLSyntaxError) {
        guard let byte = peek() else { throw failure("unterminated string") }
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "b"): 8
            case UInt8(ascii: "t"): 9
            case UInt8(ascii: "n"): 10
            case UInt8(ascii: "f"): 12
            case UInt8(ascii: "r"): 13
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            default: nil
            }
        if let simple {
            out.append(simple)
            advance()
            return
        }
        let length = byte == UInt8(ascii: "u") ? 4 : byte == UInt8(ascii: "U") ? 8 : 0
        guard length > 0 else {
            throw failure(byte < 0x80 && byte >= 0x20 ? "invalid escape '\\\(Character(Unicode.Scalar(byte)))'" : "invalid escape")
        }
        advance()
        guard position + length <= bytes.count, bytes[position..<position + length].allSatisfy({ Self.separatedDigits([$0], radix: 16) }),
            let code = UInt32(String(decoding: bytes[position..<position + length], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(code)
        else { throw failure("invalid Unicode escape: \(length) hexadecimal digits of a Unicode scalar value expected") }
        position += length
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    private func checkControl(_ byte: UInt8, _ place: String) throws(TOMLSyntaxError) {
        if Self.isControl(byte) { throw failure("control character in \(place)") }
    }

    /// A control character TOML allows in no string or comment (all but tab).
    private static func isControl(_ byte: UInt8) -> Bool { (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F }

    // MARK: - Lexing

    private var here: TOMLPosition { TOMLPosition(line: line, column: position - lineStart + 1) }

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

    /// One line break, LF or CRLF, if there is one here; a carriage return alone is an error.
    private mutating func skipNewline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\r") {
            guard startsWith("\r\n") else { throw failure("a carriage return must be followed by a line feed") }
            position += 1
        }
        if peek() == UInt8(ascii: "\n") { advance() }
    }

    /// `#` to the end of the line; a comment holds no control character but tab.
    private mutating func skipComment() throws(TOMLSyntaxError) {
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") && startsWith("\r\n") { return }
            try checkControl(byte, "a comment")
            advance()
        }
    }

    /// Spaces, line breaks and comments (between array elements).
    private mutating func skipBlank() throws(TOMLSyntaxError) {
        while true {
            skipSpaces()
            switch peek() {
            case UInt8(ascii: "#"):
                try skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try skipNewline()
            default:
                return
            }
        }
    }

    /// Optional spaces and a comment, then a line break or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard let byte = peek() else { return }
        guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else { throw failure("expected the end of the line") }
        try skipNewline()
    }

    private mutating func expect(_ character: Character, _ what: String) throws(TOMLSyntaxError) {
        skipSpaces()
        guard let byte = peek(), byte == character.asciiValue else { throw failure("expected \(what)") }
        advance()
    }

    private func failure(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, column: position - lineStart + 1, message: message)
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (no
    /// overlong forms, surrogates or values past U+10FFFF), or `nil`.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            let secondRange: ClosedRange<UInt8>
            switch lead {
            case 0xC2...0xDF: (length, secondRange) = (2, 0x80...0xBF)
            case 0xE0: (length, secondRange) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, secondRange) = (3, 0x80...0xBF)
            case 0xED: (length, secondRange) = (3, 0x80...0x9F)
            case 0xF0: (length, secondRange) = (4, 0x90...0xBF)
            case 0xF1...0xF3: (length, secondRange) = (4, 0x80...0xBF)
            case 0xF4: (length, secondRange) = (4, 0x80...0x8F)
            default: return index
            }
            guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return index }
            for continuation in bytes[(index + 2)..<(index + length)] where !(0x80...0xBF).contains(continuation) { return index }
            index += length
        }
        return nil
    }
}
