import Foundation
import KeyRotation
import PropertyBased
import Testing

struct MaintenanceWindowsTests {
    static let berlin = try! TimeZoneRules(named: "Europe/Berlin")

    /// `y-m-d h:min` in Berlin's wall time, as the first instant showing it.
    func berlin(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let wall = Int64(calendar.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!.timeIntervalSince1970)
        return Self.berlin.instants(forWallTime: wall).first!
    }

    @Test func weekdaysAndMidnight() throws {
        let windows = try MaintenanceWindows(parsing: ["Mon-Fri 09:00-17:00", "Sat 22:00-02:00"], zone: Self.berlin)
        #expect(windows.contains(berlin(2027, 6, 7, 9, 0)), "Monday 09:00")
        #expect(!windows.contains(berlin(2027, 6, 7, 17, 0)), "closes at 17:00")
        #expect(!windows.contains(berlin(2027, 6, 6, 12, 0)), "not on Sunday")
        #expect(windows.contains(berlin(2027, 6, 13, 1, 59)), "Saturday's window runs into Sunday")
        #expect(!windows.contains(berlin(2027, 6, 13, 2, 0)))
        #expect(windows.nextOpening(atOrAfter: berlin(2027, 6, 11, 17, 30)) == berlin(2027, 6, 12, 22, 0), "Friday evening → Saturday 22:00")
        #expect(windows.nextOpening(atOrAfter: berlin(2027, 6, 13, 3, 0)) == berlin(2027, 6, 14, 9, 0), "Sunday → Monday 09:00")
        #expect(windows.closing(after: berlin(2027, 6, 12, 23, 0)) == berlin(2027, 6, 13, 2, 0))
        let wrap = try MaintenanceWindows(parsing: ["Sun-Tue 10:00-11:00"], zone: Self.berlin)
        #expect(wrap.contains(berlin(2027, 6, 8, 10, 30)) && wrap.contains(berlin(2027, 6, 6, 10, 30)) && !wrap.contains(berlin(2027, 6, 9, 10, 30)))
    }

    /// On the spring-forward night 02:30 does not exist: a window opening then opens at 03:00 summer
    /// time. On the fall-back night 02:30 happens twice: a window opens at the first.
    @Test func daylightSavingNights() throws {
        let spring = try MaintenanceWindows(parsing: ["Sun 02:30-04:00"], zone: Self.berlin)
        let jump = berlin(2027, 3, 28, 3, 0)
        #expect(spring.nextOpening(atOrAfter: berlin(2027, 3, 28, 1, 0)) == jump)
        #expect(jump.timeIntervalSince(berlin(2027, 3, 28, 1, 0)) == 3600, "01:00 winter to 03:00 summer is one hour")
        let fall = try MaintenanceWindows(parsing: ["Sun 02:30-02:45"], zone: Self.berlin)
        let first = berlin(2027, 10, 31, 2, 30)
        #expect(fall.nextOpening(atOrAfter: berlin(2027, 10, 31, 0, 0)) == first)
        #expect(fall.closing(after: first) == first.addingTimeInterval(900), "the first 02:45 closes it")
        #expect(
            fall.nextOpening(atOrAfter: first.addingTimeInterval(900)) == first.addingTimeInterval(3600),
            "and it opens again at the second 02:30"
        )
    }

    @Test(arguments: [
        ("Mon-Fri", "not DAYS HH:MM-HH:MM"), ("Mon-Fry 09:00-17:00", "not a day"), ("Mon 9:00-17:00", "24-hour"),
        ("Mon 09:00-25:00", "24-hour"), ("Mon 10:00-10:00", "same time"), ("Mon 24:00-10:00", "24-hour"),
    ])
    func malformedEntriesAreRefusedWithTheReason(entry: String, reason: String) {
        #expect {
            try MaintenanceWindows(parsing: [entry], zone: .utc)
        } throws: { error in
            (error as? MaintenanceWindows.ParseError)?.description.contains(reason) == true
        }
    }

    /// Whatever the windows, the zone and the instant: the next opening is inside, nothing between
    /// the instant and it is, and everything from it to its closing is.
    @Test func nextOpeningAndClosingBracketTheWindow() async throws {
        let zones = try ["Europe/Berlin", "Australia/Sydney", "Europe/Dublin", "America/St_Johns"].map { try TimeZoneRules(named: $0) }
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        await propertyCheck(count: 300, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            let zone = zones[Int(random.next() % UInt64(zones.count))]
            let entries = (0..<(1 + random.next() % 3)).map { _ -> String in
                let first = Int(random.next() % 7), last = Int(random.next() % 7)
                let opens = Int(random.next() % 96) * 15, length = 15 * Int(1 + random.next() % 40)
                let closes = (opens + length) % 1440
                func hm(_ minutes: Int) -> String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }
                return "\(days[first])-\(days[last]) \(hm(opens))-\(hm(closes == opens ? (closes + 15) % 1440 : closes))"
            }
            let windows = try! MaintenanceWindows(parsing: entries, zone: zone)
            // Around the DST changes of 2027 and at random instants of 2026-2030.
            let instant = Date(timeIntervalSince1970: 1_767_225_600 + Double(random.next() % 157_766_400))
            guard let opening = windows.nextOpening(atOrAfter: instant) else {
                Issue.record("windows \(entries) never open")
                return
            }
            #expect(windows.contains(opening), "\(entries) in \(zone.name): \(opening) is not inside")
            let before = opening.timeIntervalSince(instant)
            for step in 0..<60 where before > 0 {
                let probe = instant.addingTimeInterval(before * Double(step) / 60)
                #expect(!windows.contains(probe), "\(entries) in \(zone.name): \(probe) before the opening \(opening) is inside")
            }
            let closing = windows.closing(after: opening)
            #expect(closing > opening && !windows.contains(closing))
            for step in 0..<60 {
                let probe = opening.addingTimeInterval(closing.timeIntervalSince(opening) * Double(step) / 60)
                #expect(windows.contains(probe), "\(entries) in \(zone.name): \(probe) between \(opening) and \(closing) is outside")
            }
        }
    }
}
