import KeyRotation

/// A secret file's permission bits, `"0640"` or `0o640`: readable by its owner, never by others,
/// never executable.
struct FileMode: ConfigurationValue, Equatable {
    /// The bits.
    var bits: UInt32

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        var mode: UInt32?
        if let s = value.string {
            mode = UInt32(s.hasPrefix("0o") ? String(s.dropFirst(2)) : s, radix: 8)
        } else if let i = value.int, i >= 0 {
            mode = UInt32(exactly: i)
        }
        guard let m = mode, m <= 0o777 else { throw ValueProblem("must be octal permission bits such as \"0640\" or 0o640") }
        let octal = ConfigurationKey.octal(m)
        if m & 0o007 != 0 { throw ValueProblem("\(octal) lets every user read the key; use 0600 or 0640 with a readers group") }
        if m & 0o400 == 0 { throw ValueProblem("\(octal) does not let the owner read the file; use 0600 or 0640") }
        if m & 0o111 != 0 { throw ValueProblem("\(octal) makes a secret executable; use 0600 or 0640") }
        bits = m
    }
}
