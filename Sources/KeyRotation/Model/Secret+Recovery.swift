extension Secret {
    /// The secret with `fingerprint` among what an output holds, whatever its layout (the value
    /// alone, a PEM key and certificate, a `NAME=value` line, JSON, an operator's template): the whole
    /// text, every line and every run of the characters an Entra client secret is made of (letters,
    /// digits, `~`, `.`, `_`, `-`) are tried. The fingerprint decides, so a false match is not possible.
    public static func find(_ fingerprint: KeyFingerprint, in text: String) -> Secret? {
        // The whole text (a PEM key and certificate), every line, every run of secret characters.
        var candidates = [text.trimmingWhitespace()] + text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
        candidates += text.split { !($0.isASCII && ($0.isLetter || $0.isNumber || "~._-".contains($0))) }.map(String.init)
        return candidates.first { KeyFingerprint(of: $0) == fingerprint }.map(Secret.init)
    }
}
