import FoundationEssentials

/// When regenerations may start: weekly windows in local wall time (`Mon-Fri 09:00-17:00`, `Sat
/// 22:00-02:00` crossing midnight) of one time zone.
///
/// An instant is inside when its local wall time, read with the offset in force at that instant, is
/// inside a window. So across daylight-saving changes: a window opening at a wall time clocks skip
/// (02:30 on the spring-forward night) opens when the clocks jump past it (03:00 summer time); a
/// wall time clocks pass twice (02:30 on the fall-back night) is inside both times, so a window
/// opens at its first occurrence and a window ending then ends at its second.
///
/// A class, though immutable: an optional reference is one word in each resource's configuration
/// and policy, where the struct's inline fields cost hundreds of bytes per resource at 10,000.
public final class MaintenanceWindows: Sendable, Hashable {
    /// One weekly window.
    public struct Window: Sendable, Equatable {
        /// The days it opens on, 0 Monday … 6 Sunday.
        public var days: Set<Int>
        /// Opening, seconds after local midnight.
        public var opens: Int
        /// Closing, seconds after local midnight; at or before `opens`, on the next day.
        public var closes: Int

        /// Whether it crosses midnight.
        var crossesMidnight: Bool { closes <= opens }
    }

    /// The windows.
    public let windows: [Window]
    /// The zone of their wall times.
    public let zone: TimeZoneRules

    /// Why a window entry cannot be used.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// For the operator.
        public var description: String
    }

    private static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Parses entries such as `Mon-Fri 09:00-17:00`, `Sat,Sun 10:00-12:00`, `Sun-Tue 22:00-02:00`.
    public init(parsing entries: [String], zone: TimeZoneRules) throws(ParseError) {
        self.zone = zone
        var windows: [Window] = []
        for entry in entries {
            let parts = entry.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2 else {
                throw ParseError(description: "'\(entry)' is not DAYS HH:MM-HH:MM (such as \"Mon-Fri 09:00-17:00\")")
            }
            var days = Set<Int>()
            for group in parts[0].split(separator: ",") {
                let range = group.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(range.count), let first = Self.dayNames.firstIndex(of: range[0].lowercased()),
                    let last = Self.dayNames.firstIndex(of: range[range.count - 1].lowercased())
                else {
                    throw ParseError(description: "'\(group)' in '\(entry)' is not a day or a day range (Mon, Tue … Sun; Mon-Fri)")
                }
                var day = first
                while true {
                    days.insert(day)
                    if day == last { break }
                    day = (day + 1) % 7
                }
            }
            let times = parts[1].split(separator: "-", omittingEmptySubsequences: false)
            guard times.count == 2, let opens = Self.time(times[0], allowing24: false), let closes = Self.time(times[1], allowing24: true)
            else { throw ParseError(description: "'\(parts[1])' in '\(entry)' is not HH:MM-HH:MM in 24-hour time") }
            guard opens != closes % 86_400 || closes == 86_400 else {
                throw ParseError(description: "'\(entry)' opens and closes at the same time; for a whole day write 00:00-24:00")
            }
            windows.append(Window(days: days, opens: opens, closes: closes == 86_400 && opens == 0 ? 86_400 : closes % 86_400))
        }
        self.windows = windows
    }

    private static func time(_ text: Substring, allowing24: Bool) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]),
            (0...59).contains(minutes), (0...23).contains(hours) || (allowing24 && hours == 24 && minutes == 0)
        else { return nil }
        return hours * 3600 + minutes * 60
    }

    /// The local wall time of `date`, in seconds since 1970.
    private func wall(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(zone.offset(at: date))
    }

    /// Whether `date` is inside a window.
    public func contains(_ date: Date) -> Bool {
        let w = wall(date)
        let day = w >= 0 ? w / 86_400 : (w - 86_399) / 86_400
        let weekday = Int(((day + 3) % 7 + 7) % 7)  // 1970-01-01 was a Thursday: Monday is 0
        let time = Int(w - day * 86_400)
        return windows.contains { window in
            if window.crossesMidnight {
                return (window.days.contains(weekday) && time >= window.opens) || (window.days.contains((weekday + 6) % 7) && time < window.closes)
            }
            return window.days.contains(weekday) && time >= window.opens && time < window.closes
        }
    }

    /// The instants around `date` (within `days` days after it) at which being inside can change:
    /// openings and closings in wall time, and the zone's offset changes.
    private func boundaries(after date: Date, days: Int) -> [Date] {
        let start = wall(date)
        let firstDay = (start >= 0 ? start / 86_400 : (start - 86_399) / 86_400) - 1
        var walls: [Int64] = []
        for day in firstDay...(firstDay + Int64(days) + 1) {
            let weekday = Int(((day + 3) % 7 + 7) % 7)
            for window in windows where window.days.contains(weekday) {
                walls.append(day * 86_400 + Int64(window.opens))
                walls.append((window.crossesMidnight ? day + 1 : day) * 86_400 + Int64(window.closes))
            }
        }
        let limit = date.addingTimeInterval(Double(days + 1) * 86_400)
        let instants = walls.flatMap { zone.instants(forWallTime: $0) } + zone.transitions(in: date...limit)
        return Set(instants.filter { $0 > date && $0 <= limit }).sorted()
    }

    /// The first instant at or after `date` inside a window (`date` itself when it is); `nil` when
    /// there are no windows.
    public func nextOpening(atOrAfter date: Date) -> Date? {
        guard !windows.isEmpty else { return nil }
        if contains(date) { return date }
        return boundaries(after: date, days: 8).first { contains($0) }
    }

    /// When the window `date` is in closes (`date` when it is outside every window).
    public func closing(after date: Date) -> Date {
        guard contains(date) else { return date }
        return boundaries(after: date, days: 8).first { !contains($0) } ?? date.addingTimeInterval(8 * 86_400)
    }

    public static func == (lhs: MaintenanceWindows, rhs: MaintenanceWindows) -> Bool {
        lhs.windows == rhs.windows && lhs.zone == rhs.zone
    }

    /// Hashes what ``==`` compares, coarsely (equal windows hash alike).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(windows.count)
        hasher.combine(zone.name)
    }
}
