import Foundation
import KeyRotation
import TestSupport
import Testing

/// The zoneinfo reader against Python's `zoneinfo` (which reads the same files): every offset agrees,
/// across centuries and both hemispheres, before, at and after each transition and beyond the last
/// one, where the POSIX rule of the footer takes over.
struct TimeZoneRulesTests {
    static let zones = [
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland", "Europe/Dublin",
        "Africa/Casablanca", "America/St_Johns", "Asia/Tehran", "UTC",
    ]

    /// Offsets Python gives for `instants` in `zone`.
    static func python(_ zone: String, _ instants: [Int64]) async throws -> [Int] {
        let script = """
            import json, sys
            from datetime import datetime, timezone
            from zoneinfo import ZoneInfo
            z = ZoneInfo(sys.argv[1])
            print(json.dumps([int(datetime.fromtimestamp(t, timezone.utc).astimezone(z).utcoffset().total_seconds()) for t in json.load(sys.stdin)]))
            """
        let result = try await Tool.run("/usr/bin/python3", ["-c", script, zone], input: try JSONEncoder().encode(instants))
        try #require(result.status == 0, "python3: \(String(decoding: result.errors, as: UTF8.self))")
        return try JSONDecoder().decode([Int].self, from: result.output)
    }

    @Test(arguments: zones)
    func everyOffsetAgreesWithPythonsZoneinfo(zone: String) async throws {
        let rules = try TimeZoneRules(named: zone)
        var random = SplitMix64(seed: zone.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) })
        // Random instants from 1900 to 2200, and each transition of 2020-2060 and a second either side.
        var instants = (0..<3000).map { _ in Int64(random.next() % 9_467_280_000) - 2_208_988_800 }
        let transitions = rules.transitions(
            in: Date(timeIntervalSince1970: 1_577_836_800)...Date(timeIntervalSince1970: 2_871_763_200)
        ).map { Int64($0.timeIntervalSince1970) }
        instants += transitions.flatMap { [$0 - 1, $0, $0 + 1] }
        let expected = try await Self.python(zone, instants)
        let mismatches = zip(instants, expected).filter { rules.offset(at: Date(timeIntervalSince1970: Double($0.0))) != $0.1 }
        #expect(mismatches.isEmpty, "\(zone): \(mismatches.prefix(5).map { "at \($0.0) Python says \($0.1)" })")
        // Those that still keep daylight time (São Paulo and Tehran gave it up in 2019 and 2022).
        if ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Pacific/Auckland", "Europe/Dublin", "America/St_Johns"].contains(zone) {
            #expect(transitions.count >= 40, "\(zone) changes its clocks twice a year")
        }
    }

    /// Europe/Berlin's spring-forward night has no 02:30; its fall-back night has two.
    @Test func wallTimesInAGapHaveNoInstantAndInAFoldTwo() throws {
        let berlin = try TimeZoneRules(named: "Europe/Berlin")
        func wall(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ min: Int) -> Int64 {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return Int64(calendar.date(from: DateComponents(year: y, month: m, day: d, hour: h, minute: min))!.timeIntervalSince1970)
        }
        #expect(berlin.instants(forWallTime: wall(2027, 3, 28, 2, 30)).isEmpty)
        #expect(
            berlin.instants(forWallTime: wall(2027, 10, 31, 2, 30)).map { Int64($0.timeIntervalSince1970) } == [
                wall(2027, 10, 31, 0, 30), wall(2027, 10, 31, 1, 30),
            ]
        )
        #expect(berlin.instants(forWallTime: wall(2027, 6, 1, 12, 0)).count == 1)
    }

    @Test(arguments: ["Mars/Olympus", "../etc/passwd", "/etc/localtime", "Europe/Berlin "])
    func anUnknownOrUnsafeNameIsRefused(name: String) {
        #expect(throws: TimeZoneRules.Problem.self) { try TimeZoneRules(named: name) }
    }
}
