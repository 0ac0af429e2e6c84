/// Maps dotted key paths of a TOML document (`daemon.concurrency`, `resource[2].grace`) to the
/// 1-based line where they are written.
///
/// The parser reports positions only for syntax errors, so semantic errors ("grace must be shorter than
/// every") need this index to name a line. It understands table headers, arrays of tables, dotted and
/// quoted keys, and skips the inside of multi-line strings and arrays.
struct TOMLLineIndex {
    private var lines: [String: Int] = [:]

    /// Indexes `source` line by line.
    init(source: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        var inMultilineString: String? = nil
        var openBrackets = 0
        for (offset, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = Self.stripComment(String(rawLine)).trimmed
            if let delimiter = inMultilineString {
                if line.contains(delimiter) { inMultilineString = nil }
                continue
            }
            if openBrackets > 0 {
                openBrackets += Self.bracketBalance(line)
                continue
            }
            if line.isEmpty { continue }
            if line.hasPrefix("[[") && line.hasSuffix("]]") {
                let name = Self.resolve(Self.normalizeKey(String(line.dropFirst(2).dropLast(2))), arrayCounts)
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                lines[table] = lineNumber
            } else if line.hasPrefix("[") && line.hasSuffix("]") {
                table = Self.resolve(Self.normalizeKey(String(line.dropFirst().dropLast())), arrayCounts)
                lines[table] = lineNumber
            } else if let equals = Self.firstUnquoted("=", in: line) {
                let key = Self.normalizeKey(String(line[..<equals]))
                let path = table.isEmpty ? key : "\(table).\(key)"
                if lines[path] == nil { lines[path] = lineNumber }
                let value = line[line.index(after: equals)...].trimmed
                for delimiter in ["\"\"\"", "'''"] where value.hasPrefix(delimiter) {
                    if !value.dropFirst(3).contains(delimiter) { inMultilineString = delimiter }
                }
                if value.hasPrefix("[") { openBrackets = max(0, Self.bracketBalance(value)) }
            }
        }
    }

    /// The line of `path`, falling back to the nearest enclosing table, or 0 if none is known.
    func line(of path: String) -> Int {
        var candidate = path
        while true {
            if let line = lines[candidate] { return line }
            guard let dot = candidate.lastIndex(of: ".") else { return 0 }
            candidate = String(candidate[..<dot])
        }
    }

    /// The index of the first `character` outside a quoted string.
    private static func firstUnquoted(_ character: Character, in line: String) -> String.Index? {
        var quote: Character? = nil
        for index in line.indices {
            let c = line[index]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == character {
                return index
            }
        }
        return nil
    }

    /// A header's path with the parent arrays of tables it belongs to: `[[resource.outputs]]` after
    /// the third `[[resource]]` is `resource[2].outputs`.
    private static func resolve(_ name: String, _ counts: [String: Int]) -> String {
        let parts = name.split(separator: ".")
        var path = ""
        for (i, part) in parts.enumerated() {
            path = path.isEmpty ? String(part) : path + "." + part
            if i < parts.count - 1, let count = counts[path], count > 0 { path += "[\(count - 1)]" }
        }
        return path
    }

    private static func normalizeKey(_ key: String) -> String {
        key.split(separator: ".").map { part -> String in
            var p = part.trimmed
            if p.count >= 2, let first = p.first, first == "\"" || first == "'", p.last == first {
                p = String(p.dropFirst().dropLast())
            }
            return p
        }.joined(separator: ".")
    }

    private static func stripComment(_ line: String) -> String {
        firstUnquoted("#", in: line).map { String(line[..<$0]) } ?? line
    }

    private static func bracketBalance(_ text: String) -> Int {
        var balance = 0
        var quote: Character? = nil
        for c in text {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "[" {
                balance += 1
            } else if c == "]" {
                balance -= 1
            }
        }
        return balance
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space.
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
