extension StringProtocol {
    /// The text without leading and trailing whitespace and line breaks.
    ///
    /// keyrotd links only FoundationEssentials, which has no `CharacterSet`; this is the trim it
    /// needs for header values, file contents and template fields.
    public func trimmingWhitespace() -> String {
        trimming(while: \.isWhitespace)
    }

    /// The text without the leading and trailing characters that satisfy `predicate`.
    public func trimming(while predicate: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !predicate($0) }), let last = lastIndex(where: { !predicate($0) }) else { return "" }
        return String(self[first...last])
    }
}
