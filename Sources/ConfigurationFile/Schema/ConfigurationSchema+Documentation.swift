import KeyRotation

extension ConfigurationSchema {
    /// The configuration table of docs/configuration.md: every key with where it may appear, its type, default and
    /// meaning, in declaration order. A test keeps that copy equal to it.
    public static var markdownTable: String {
        var lines = ["| key | in | type | default | meaning |", "| --- | --- | --- | --- | --- |"]
        for key in keys {
            let tables = key.tables.map { "`\($0.rawValue)`" }.joined(separator: ", ")
            let kinds = key.credentialKinds.isEmpty ? "" : " (kind " + key.credentialKinds.map { "`\($0)`" }.joined(separator: ", ") + ")"
            lines.append(
                "| `\(key.name)` | \(tables)\(kinds) | \(key.kind.documentation) | \(key.defaultValue.documentation) | \(key.documentedSummary) |"
            )
        }
        return lines.joined(separator: "\n")
    }
}

extension ConfigurationKey {
    /// The kinds of identity a `[credential.NAME]` key applies to (empty: every kind).
    var credentialKinds: [String] { tables.contains(.credential) ? variants : [] }

    /// The summary, and that a change waits for a restart where it does.
    var documentedSummary: String {
        if case .restart = reload { return summary + "; restart to change" }
        return summary
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

extension ConfigurationSchema {
    /// `keyrotd.toml(5)`, in roff: every table and key with its type, default and meaning. A test
    /// keeps `man/keyrotd.toml.5` equal to it and checks that `man` renders it without a warning.
    public static var manualPage: String {
        var lines = [
            ".TH KEYROTD.TOML 5 \"\" \"keyrotd\" \"File Formats\"",
            // Left-aligned: resource ids and paths are long words that justification cannot fit.
            ".ad l",
            ".SH NAME",
            "keyrotd.toml \\- configuration of keyrotd, the Azure access key rotation daemon",
            ".SH SYNOPSIS",
            ".I /etc/keyrotd/keyrotd.toml",
            ".SH DESCRIPTION",
            "The file is TOML 1.0.",
            "Durations are written 30d, 12h, 15m, 90s or 500ms, or sums such as 1h30m.",
            "Relative paths are relative to the file's directory, and ${VAR} in a path is taken from the environment",
            "(systemd sets CREDENTIALS_DIRECTORY for LoadCredential=).",
            "Secrets never sit in this file: a service principal's secret or certificate is read from a file.",
            ".PP",
            ".B keyrotd check",
            "validates the file and prints every problem as",
            #".IR file : line ": error: " key ": " message ."#,
        ]
        for table in ConfigurationKey.Table.allCases {
            lines += [".SH \(roff(table.rawValue))", roff(table.documentation)]
            for key in keys where key.tables.first == table {
                lines += [".TP", ".B \(roff(key.name))"]
                var facts = "\(roff(key.kind.documentation.replacing("`", with: ""))); default: "
                facts += roff(key.defaultValue.documentation.replacing("`", with: ""))
                if key.tables.count > 1 { facts += "; also in " + key.tables.dropFirst().map { roff($0.rawValue) }.joined(separator: ", ") }
                if !key.credentialKinds.isEmpty { facts += "; kind " + key.credentialKinds.joined(separator: ", ") }
                lines += ["(\(facts))", ".br", roff(key.documentedSummary)]
            }
        }
        lines += [".SH FILES", ".TP", ".I /etc/keyrotd/keyrotd.toml", "the configuration", ".SH SEE ALSO", ".BR keyrotd (8)"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text safe in roff: backslashes escaped, and a line never starts with a control character.
    private static func roff(_ text: String) -> String {
        let escaped = text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
        return escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
    }
}

extension ConfigurationKey.Table {
    /// What the table is for, in the manual.
    var documentation: String {
        switch self {
        case .daemon: "Daemon-wide settings. One table, optional."
        case .credential: "One Azure identity per table; NAME is what resources name in their credential key. Which keys apply depends on kind."
        case .defaults: "Settings every [[resource]] inherits unless it sets its own."
        case .resource: "One table per resource to rotate."
        case .application:
            "One table per app registration whose client secret keyrotd rotates (add, verify at the token endpoint, publish, remove the replaced one after grace) or, with rotate = false, only watches; it inherits [defaults] and takes the resource keys that are not ARM's, and [[application.outputs]] as a resource's."
        case .output:
            "Further files of a resource's key, written in the same step as its output; the layout and permission keys default to the resource's."
        case .follow:
            "One Key Vault secret that keyrotd on another host (the leader) writes, followed into a local file on this host, which needs no ARM rights: each new version is written durably, its hooks run, and the version is tagged keyrotd-confirmed-NAME for the leader's confirm_followers."
        case .ha:
            "This node's high-availability group: the nodes that name the same container elect one leader on a Blob Storage lease in it; only the leader rotates, and every node delivers from Key Vault. One table, optional; a change needs a restart."
        }
    }
}
