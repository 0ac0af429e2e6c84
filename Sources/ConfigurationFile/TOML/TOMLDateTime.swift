/// A TOML date, time or date-time: RFC 3339 with TOML's relaxations (a space or a lower-case `t`
/// between date and time, a lower-case `z`), checked for ranges, leap days and offsets. No keyrotd
/// setting takes one, but a document another tool reads differently must not pass `keyrotd check`.
struct TOMLDateTime: Equatable, Sendable, CustomStringConvertible {
    /// The four kinds TOML has, named as toml-test names them.
    enum Kind: String, Sendable {
        /// `1979-05-27T07:32:00Z`, `1979-05-27 07:32:00-07:00`.
        case offsetDateTime = "datetime"
        /// `1979-05-27T07:32:00`.
        case localDateTime = "datetime-local"
        /// `1979-05-27`.
        case localDate = "date-local"
        /// `07:32:00.999`.
        case localTime = "time-local"
    }

    /// A calendar date.
    struct Day: Equatable, Sendable {
        /// 0 to 9999.
        var year: Int
        /// 1 to 12.
        var month: Int
        /// 1 to the month's last day.
        var day: Int
    }

    /// A time of day; `fraction` holds the digits after the point as written (any precision).
    struct Time: Equatable, Sendable {
        /// 0 to 23.
        var hour: Int
        /// 0 to 59.
        var minute: Int
        /// 0 to 60 (a leap second).
        var second: Int
        /// The digits after the point, as written.
        var fraction: String
    }

    /// Why a date or time is not valid, for the syntax error.
    struct Invalid: Error, Sendable {
        /// The rule the text breaks.
        var reason: String
    }

    /// The date, unless this is a local time.
    var day: Day?
    /// The time, unless this is a local date.
    var time: Time?
    /// Minutes east of UTC, for an offset date-time.
    var offsetMinutes: Int?

    /// Which of the four kinds this is.
    var kind: Kind {
        switch (day, time, offsetMinutes) {
        case (_?, _?, _?): .offsetDateTime
        case (_?, _?, nil): .localDateTime
        case (_?, nil, _): .localDate
        default: .localTime
        }
    }

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or its date or time part.
    var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = ""
        if let day { text += "\(pad(day.year, 4))-\(pad(day.month, 2))-\(pad(day.day, 2))" }
        if let time {
            if day != nil { text += "T" }
            text += "\(pad(time.hour, 2)):\(pad(time.minute, 2)):\(pad(time.second, 2))" + (time.fraction.isEmpty ? "" : "." + time.fraction)
        }
        if let offsetMinutes {
            text += offsetMinutes == 0 ? "Z" : "\(offsetMinutes < 0 ? "-" : "+")\(pad(abs(offsetMinutes) / 60, 2)):\(pad(abs(offsetMinutes) % 60, 2))"
        }
        return text
    }

    /// Parses the whole of `bytes` as one of the four kinds.
    init(parsing bytes: ArraySlice<UInt8>) throws(Invalid) {
        var reader = Reader(bytes: bytes)
        if bytes.count >= 5, bytes[bytes.startIndex + 4] == UInt8(ascii: "-") {
            let year = try reader.digits(4, "the year")
            try reader.expect("-")
            let month = try reader.digits(2, "the month")
            try reader.expect("-")
            let dayOfMonth = try reader.digits(2, "the day")
            guard (1...12).contains(month) else { throw Invalid(reason: "month \(month) does not exist") }
            guard (1...Self.days(inMonth: month, year: year)).contains(dayOfMonth) else {
                throw Invalid(reason: "\(year)-\(month) has no day \(dayOfMonth)")
            }
            day = Day(year: year, month: month, day: dayOfMonth)
            guard !reader.atEnd else { return }
            guard let separator = reader.next(), separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ")
            else { throw Invalid(reason: "a date and a time are separated by 'T' or one space") }
        }
        time = try reader.time()
        if day != nil, let sign = reader.peek() {
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                _ = reader.next()
                offsetMinutes = 0
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                _ = reader.next()
                let hours = try reader.digits(2, "the offset's hours")
                try reader.expect(":")
                let minutes = try reader.digits(2, "the offset's minutes")
                guard hours <= 23, minutes <= 59 else { throw Invalid(reason: "offset \(hours):\(minutes) is out of range") }
                offsetMinutes = (hours * 60 + minutes) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard reader.atEnd else { throw Invalid(reason: "unexpected characters after the \(day == nil ? "time" : "date-time")") }
    }

    /// The days of `month` in `year` of the Gregorian calendar (29 in February of a leap year).
    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Reads fixed-width fields from the bytes.
    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            index = bytes.startIndex
        }

        var atEnd: Bool { index == bytes.endIndex }

        func peek() -> UInt8? { atEnd ? nil : bytes[index] }

        mutating func next() -> UInt8? {
            defer { if !atEnd { index += 1 } }
            return peek()
        }

        mutating func expect(_ character: Unicode.Scalar) throws(Invalid) {
            guard next() == UInt8(ascii: character) else { throw Invalid(reason: "expected '\(character)'") }
        }

        /// Exactly `count` decimal digits.
        mutating func digits(_ count: Int, _ what: String) throws(Invalid) -> Int {
            var value = 0
            for _ in 0..<count {
                guard let byte = next(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                    throw Invalid(reason: "\(what) must have \(count) digits")
                }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }

        /// `HH:MM:SS[.fraction]`.
        mutating func time() throws(Invalid) -> Time {
            let hour = try digits(2, "the hour")
            try expect(":")
            let minute = try digits(2, "the minute")
            try expect(":")
            let second = try digits(2, "the second")
            guard hour <= 23, minute <= 59, second <= 60 else { throw Invalid(reason: "time \(hour):\(minute):\(second) is out of range") }
            var fraction = ""
            if peek() == UInt8(ascii: ".") {
                _ = next()
                while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    fraction.unicodeScalars.append(Unicode.Scalar(byte))
                    _ = next()
                }
                guard !fraction.isEmpty else { throw Invalid(reason: "a fraction of a second needs digits after the point") }
            }
            return Time(hour: hour, minute: minute, second: second, fraction: fraction)
        }
    }
}
