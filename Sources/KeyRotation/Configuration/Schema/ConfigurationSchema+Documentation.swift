extension ConfigurationSchema {
    /// The README's configuration table: every key with where it may appear, its type, default and
    /// meaning, in declaration order. A test keeps the README's copy equal to it.
    public static var markdownTable: String {
        var lines = ["| key | in | type | default | meaning |", "| --- | --- | --- | --- | --- |"]
        for key in keys {
            let tables = key.tables.map { "`\($0.rawValue)`" }.joined(separator: ", ")
            let kinds = key.credentialKinds.isEmpty ? "" : " (kind " + key.credentialKinds.map { "`\($0)`" }.joined(separator: ", ") + ")"
            lines.append("| `\(key.name)` | \(tables)\(kinds) | \(key.kind.documentation) | \(key.defaultValue.documentation) | \(key.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}

extension ConfigurationKey.Kind {
    /// The type as the documentation shows it, with its range or choices.
    var documentation: String {
        switch self {
        case .integer(let range): "integer, \(range.lowerBound)–\(range.upperBound)"
        case .number(let range): "number, \(range.lowerBound.formatted)–\(range.upperBound.formatted)"
        case .duration(let range?): "duration, \(DurationFormat.format(range.lowerBound))–\(DurationFormat.format(range.upperBound))"
        case .choice(let words): words.map { "`\($0)`" }.joined(separator: ", ")
        default: name
        }
    }
}

extension Double {
    /// Without a fraction when it has none.
    fileprivate var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
