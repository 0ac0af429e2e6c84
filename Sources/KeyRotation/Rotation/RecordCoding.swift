import FoundationEssentials

/// How state records are written as JSON wherever they are kept (a file in the state directory, a
/// blob of a group's journal): sorted keys, instants as seconds since 1970.
public enum RecordCoding {
    /// The encoder of records.
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.timeIntervalSince1970)
        }
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// The decoder of records.
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: try decoder.singleValueContainer().decode(Double.self))
        }
        return d
    }()
}
