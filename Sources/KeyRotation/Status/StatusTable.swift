import FoundationEssentials

/// `keyrotd status` for people: one aligned row per resource, the ones with problems first, colour
/// only when asked for (a terminal without `NO_COLOR`).
public struct StatusTable: Sendable {
    /// One resource's row: its status and its type's short name.
    public struct Row: Sendable {
        /// The status.
        public var status: ResourceStatus
        /// The resource type (`storage`).
        public var type: String

        /// Creates a row.
        public init(status: ResourceStatus, type: String) {
            self.status = status
            self.type = type
        }

        /// 0 failing, 1 not yet adopted, 2 at work, 3 idle: the order rows are shown in.
        var rank: Int {
            if status.consecutiveFailures > 0 { return 0 }
            if status.published == nil { return 1 }
            return status.step == "idle" ? 3 : 2
        }
    }

    private let rows: [Row]

    /// A table of `rows`, in the order given within each rank.
    public init(_ rows: [Row]) {
        self.rows = rows
    }

    private static let header = ["RESOURCE", "TYPE", "KEY", "STEP", "NEXT", "FAILURES", "LAST ERROR"]

    /// The lines of the table at `now`; with `colour`, failing rows are red and work under way yellow
    /// (ANSI escapes, which the column widths do not count).
    public func lines(now: Date, colour: Bool) -> [String] {
        let ordered = rows.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }.map(\.element)
        let cells = ordered.map { row -> [String] in
            let s = row.status
            let key = s.published.map { "\($0) \(s.publishedFingerprint ?? "")" } ?? "-"
            let next = s.nextDue.map { ResourceStatus.relative($0, now: now) } ?? "-"
            let error = s.lastError.map { String($0.prefix(100)) } ?? "-"
            return [s.name, row.type, key, s.step, next, String(s.consecutiveFailures), error]
        }
        return Self.aligned(
            header: Self.header,
            rows: cells,
            colours: ordered.map { $0.rank == 0 ? "31" : ($0.rank == 2 ? "33" : nil) },
            colour: colour
        )
    }

    /// `rows` under `header` in aligned columns (the last one ragged); with `colour`, the header
    /// bold and each row in its ANSI colour code, if it has one.
    static func aligned(header: [String], rows: [[String]], colours: [String?], colour: Bool) -> [String] {
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String], colour code: String?) -> String {
            let text = cells.indices.map { i in
                i == cells.count - 1 ? cells[i] : cells[i] + String(repeating: " ", count: widths[i] - cells[i].count)
            }.joined(separator: "  ")
            guard colour, let code else { return text }
            return "\u{1B}[\(code)m" + text + "\u{1B}[0m"
        }
        return [line(header, colour: "1")] + zip(rows, colours).map { line($0, colour: $1) }
    }
}
