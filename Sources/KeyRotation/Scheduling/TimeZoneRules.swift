import FoundationEssentials
import SystemPackage

/// The UTC offsets of one IANA time zone, read from the system's zoneinfo file (TZif, RFC 8536):
/// its transitions, and beyond the last one the POSIX TZ rule of its footer. keyrotd links no ICU,
/// so Foundation's `TimeZone` knows no zone but UTC; this is the little of it maintenance windows need.
public struct TimeZoneRules: Sendable, Equatable {
    /// The zone's name (`Europe/Berlin`), or the file it came from.
    public let name: String
    private let transitions: [Int64]
    private let offsets: [Int32]
    /// The offset before the first transition.
    private let initialOffset: Int32
    private let footer: PosixRule?

    /// Why a zone cannot be used.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// For the operator.
        public var description: String

        /// Creates the problem.
        public init(description: String) { self.description = description }
    }

    /// UTC, with no transition.
    public static let utc = TimeZoneRules(name: "UTC", transitions: [], offsets: [], initialOffset: 0, footer: nil)

    private init(name: String, transitions: [Int64], offsets: [Int32], initialOffset: Int32, footer: PosixRule?) {
        self.name = name
        self.transitions = transitions
        self.offsets = offsets
        self.initialOffset = initialOffset
        self.footer = footer
    }

    /// The zone `name` from `directory` (`/usr/share/zoneinfo`).
    public init(named name: String, directory: String = "/usr/share/zoneinfo") throws(Problem) {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains(".."),
            name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || "0123456789/_+-".unicodeScalars.contains($0)) })
        else { throw Problem(description: "'\(name)' is not an IANA time zone name (such as Europe/Berlin)") }
        try self.init(file: directory + "/" + name, name: name)
    }

    /// The zone in a TZif file (`/etc/localtime`).
    public init(file: String, name: String? = nil) throws(Problem) {
        let bytes: [UInt8]
        do {
            let descriptor = try FileDescriptor.open(FilePath(file), .readOnly)
            defer { try? descriptor.close() }
            bytes = try descriptor.read(upTo: 1 << 20)
        } catch {
            throw Problem(description: "no time zone '\(name ?? file)' in the system's zoneinfo (\(file): \(error))")
        }
        try self.init(tzif: bytes, name: name ?? file)
    }

    /// Parses TZif bytes (version 2 or later: the 64-bit block and the footer).
    init(tzif bytes: [UInt8], name: String) throws(Problem) {
        let malformed = Problem(description: "'\(name)' is not a TZif time zone file")
        func u32(_ at: Int) throws(Problem) -> Int {
            guard at + 4 <= bytes.count else { throw malformed }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        func header(_ at: Int) throws(Problem) -> (isut: Int, isstd: Int, leap: Int, time: Int, type: Int, char: Int) {
            guard bytes.count >= at + 44, bytes[at..<(at + 4)].elementsEqual("TZif".utf8) else { throw malformed }
            return (try u32(at + 20), try u32(at + 24), try u32(at + 28), try u32(at + 32), try u32(at + 36), try u32(at + 40))
        }
        let v1 = try header(0)
        guard bytes[4] >= UInt8(ascii: "2") else {
            throw Problem(description: "'\(name)' is a version 1 TZif file; keyrotd needs version 2 or later")
        }
        let second = 44 + v1.time * 5 + v1.type * 6 + v1.char + v1.leap * 8 + v1.isstd + v1.isut
        let h = try header(second)
        var at = second + 44
        guard h.type > 0, bytes.count >= at + h.time * 9 + h.type * 6 + h.char + h.leap * 12 + h.isstd + h.isut else { throw malformed }
        var transitions: [Int64] = []
        for i in 0..<h.time {
            var value: UInt64 = 0
            for byte in bytes[(at + i * 8)..<(at + i * 8 + 8)] { value = value << 8 | UInt64(byte) }
            transitions.append(Int64(bitPattern: value))
        }
        at += h.time * 8
        let indices = bytes[at..<(at + h.time)].map(Int.init)
        at += h.time
        var types: [Int32] = []
        for i in 0..<h.type { types.append(Int32(truncatingIfNeeded: try u32(at + i * 6))) }
        guard indices.allSatisfy({ $0 < types.count }) else { throw malformed }
        at += h.type * 6 + h.char + h.leap * 12 + h.isstd + h.isut
        // The footer: "\n" TZ-string "\n".
        var footer: PosixRule?
        if at < bytes.count, bytes[at] == 10, let end = bytes[(at + 1)...].firstIndex(of: 10), end > at + 1 {
            footer = PosixRule(String(decoding: bytes[(at + 1)..<end], as: UTF8.self))
        }
        self.init(name: name, transitions: transitions, offsets: indices.map { types[$0] }, initialOffset: types[0], footer: footer)
    }

    /// The offset from UTC, in seconds, at `date`.
    public func offset(at date: Date) -> Int {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        if let last = transitions.last, t >= last, let footer { return footer.offset(at: t) }
        if transitions.isEmpty { return footer?.offset(at: t) ?? Int(initialOffset) }
        guard t >= transitions[0] else { return Int(initialOffset) }
        // The last transition at or before t.
        var low = 0, high = transitions.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if transitions[middle] <= t { low = middle } else { high = middle }
        }
        return Int(offsets[low])
    }

    /// The instants whose local wall time is `wall` (seconds since 1970 read as local): none in a
    /// gap (clocks jumped over it), two in a fold (clocks went back over it), one otherwise.
    public func instants(forWallTime wall: Int64) -> [Date] {
        let nearby = Set([
            offset(at: Date(timeIntervalSince1970: Double(wall - 86_400))), offset(at: Date(timeIntervalSince1970: Double(wall + 86_400))),
        ])
        return nearby.map { wall - Int64($0) }.filter { Int64(offset(at: Date(timeIntervalSince1970: Double($0)))) == wall - $0 }.sorted()
            .map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// The instants in `range` at which the offset changes.
    public func transitions(in range: ClosedRange<Date>) -> [Date] {
        let low = Int64(range.lowerBound.timeIntervalSince1970.rounded(.down)), high = Int64(range.upperBound.timeIntervalSince1970.rounded(.up))
        var found = transitions.filter { $0 >= low && $0 <= high }
        if let footer, low >= (transitions.last ?? .min) || high >= (transitions.last ?? .min) {
            let first = PosixRule.year(of: max(low, transitions.last ?? low)) - 1, last = PosixRule.year(of: high) + 1
            if first <= last {
                for year in first...last {
                    found += footer.transitions(in: year).filter { $0 >= low && $0 <= high && $0 > (transitions.last ?? .min) }
                }
            }
        }
        return Set(found).sorted().map { Date(timeIntervalSince1970: Double($0)) }
    }

    public static func == (lhs: TimeZoneRules, rhs: TimeZoneRules) -> Bool { lhs.name == rhs.name }
}

/// A POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`): a standard offset and, optionally, a daylight
/// offset with the yearly rules of its start and end.
struct PosixRule: Sendable {
    /// Seconds east of UTC.
    var standard: Int
    var daylight: Int?
    var start: Rule?
    var end: Rule?

    /// When in the year a change happens, and at what local time.
    struct Rule: Sendable {
        enum Day: Sendable {
            /// `Jn`: day 1...365, February 29 never counted.
            case julian(Int)
            /// `n`: day 0...365, February 29 counted in leap years.
            case zeroBased(Int)
            /// `Mm.w.d`: weekday d (0 Sunday) of week w (5: the last) of month m.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
        }
        var day: Day
        /// Seconds after local midnight (may be negative or past 24 h).
        var time: Int
    }

    init?(_ text: String) {
        var rest = Substring(text)
        func name() -> Bool {
            if rest.first == "<" {
                guard let close = rest.firstIndex(of: ">") else { return false }
                rest = rest[rest.index(after: close)...]
                return true
            }
            let letters = rest.prefix { $0.isLetter }
            guard letters.count >= 3 else { return false }
            rest = rest.dropFirst(letters.count)
            return true
        }
        func time() -> Int? {
            var sign = 1
            if rest.first == "-" || rest.first == "+" {
                sign = rest.first == "-" ? -1 : 1
                rest = rest.dropFirst()
            }
            var parts: [Int] = []
            while parts.count < 3 {
                let digits = rest.prefix { $0.isNumber }
                guard !digits.isEmpty, let value = Int(digits) else { return nil }
                parts.append(value)
                rest = rest.dropFirst(digits.count)
                guard rest.first == ":" else { break }
                rest = rest.dropFirst()
            }
            guard let hours = parts.first else { return nil }
            return sign * (hours * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0))
        }
        func rule() -> Rule? {
            let day: Rule.Day
            if rest.first == "M" {
                rest = rest.dropFirst()
                let numbers = rest.prefix { $0.isNumber || $0 == "." }
                rest = rest.dropFirst(numbers.count)
                let parts = numbers.split(separator: ".").compactMap { Int($0) }
                guard parts.count == 3, (1...12).contains(parts[0]), (1...5).contains(parts[1]), (0...6).contains(parts[2]) else { return nil }
                day = .monthWeekDay(month: parts[0], week: parts[1], weekday: parts[2])
            } else if rest.first == "J" {
                rest = rest.dropFirst()
                let digits = rest.prefix { $0.isNumber }
                rest = rest.dropFirst(digits.count)
                guard let n = Int(digits), (1...365).contains(n) else { return nil }
                day = .julian(n)
            } else {
                let digits = rest.prefix { $0.isNumber }
                rest = rest.dropFirst(digits.count)
                guard let n = Int(digits), (0...365).contains(n) else { return nil }
                day = .zeroBased(n)
            }
            var at = 7200
            if rest.first == "/" {
                rest = rest.dropFirst()
                guard let t = time() else { return nil }
                at = t
            }
            return Rule(day: day, time: at)
        }
        guard name(), let std = time() else { return nil }
        standard = -std
        guard !rest.isEmpty else { return }
        guard name() else { return nil }
        if rest.first != ",", !rest.isEmpty {
            guard let dst = time() else { return nil }
            daylight = -dst
        } else {
            daylight = standard + 3600
        }
        // Daylight time without its rules (legacy "EST5EDT") is not supported: no footer, then.
        guard rest.first == "," else { return nil }
        rest = rest.dropFirst()
        guard let start = rule(), rest.first == "," else { return nil }
        rest = rest.dropFirst()
        guard let end = rule(), rest.isEmpty else { return nil }
        self.start = start
        self.end = end
    }

    /// The offset at `t` (seconds since 1970, UTC).
    func offset(at t: Int64) -> Int {
        guard let daylight, start != nil, end != nil else { return standard }
        let year = Self.year(of: t)
        let (on, off) = changes(in: year)
        if on < off { return (t >= on && t < off) ? daylight : standard }
        // Southern hemisphere: daylight time spans the new year.
        return (t >= off && t < on) ? standard : daylight
    }

    /// Both changes of `year`, as UTC instants.
    func transitions(in year: Int) -> [Int64] {
        guard daylight != nil, start != nil, end != nil else { return [] }
        let (on, off) = changes(in: year)
        return [on, off]
    }

    private func changes(in year: Int) -> (on: Int64, off: Int64) {
        // The start is given in standard local time, the end in daylight local time.
        let on = Self.instant(start!, year: year) - Int64(standard)
        let off = Self.instant(end!, year: year) - Int64(daylight!)
        return (on, off)
    }

    /// The local wall time (seconds since 1970) of `rule` in `year`.
    private static func instant(_ rule: Rule, year: Int) -> Int64 {
        let january1 = daysFromCivil(year: year, month: 1, day: 1)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let day: Int64
        switch rule.day {
        case .julian(let n):
            day = january1 + Int64(n - 1) + (leap && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            day = january1 + Int64(n)
        case .monthWeekDay(let month, let week, let weekday):
            let first = daysFromCivil(year: year, month: month, day: 1)
            // 1970-01-01 was a Thursday (weekday 4).
            let firstWeekday = Int((first % 7 + 7 + 4) % 7)
            var d = first + Int64((weekday - firstWeekday + 7) % 7) + Int64((week - 1) * 7)
            let monthLength = daysFromCivil(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1) - first
            while d - first >= monthLength { d -= 7 }
            day = d
        }
        return day * 86_400 + Int64(rule.time)
    }

    /// The year (UTC) of `t`.
    static func year(of t: Int64) -> Int {
        civil(fromDays: t >= 0 ? t / 86_400 : (t - 86_399) / 86_400).year
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (days since 1970-01-01).
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (Int(yoe + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }
}
