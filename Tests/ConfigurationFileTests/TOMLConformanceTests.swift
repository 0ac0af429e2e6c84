import Foundation
import KeyRotation
import Testing

@testable import ConfigurationFile

/// The toml-test suite for TOML 1.0.0 (`Tests/toml-test`, MIT, from toml-lang/toml-test): every
/// valid document decodes to exactly the expected typed JSON, every invalid one is refused with a
/// syntax error and a line. Values are compared as toml-test compares them: floats as numbers,
/// date-times as instants (local ones by their fields), everything else exactly.
struct TOMLConformanceTests {
    static let suite: URL = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("toml-test")
    }()

    /// The suite's file list for TOML 1.0.0.
    static func files(_ kind: String) throws -> [String] {
        let list = try String(contentsOf: suite.appendingPathComponent("files-toml-1.0.0"), encoding: .utf8)
        return list.split(separator: "\n").map(String.init).filter { $0.hasPrefix(kind + "/") && $0.hasSuffix(".toml") }
    }

    @Test func everyValidDocumentDecodesToTheExpectedJSONAndEveryInvalidOneIsRefused() throws {
        let valid = try Self.files("valid")
        let invalid = try Self.files("invalid")
        try #require(valid.count > 200 && invalid.count > 450, "the vendored suite is incomplete")
        var failures: [String] = []
        for file in valid {
            let bytes = try [UInt8](Data(contentsOf: Self.suite.appendingPathComponent(file)))
            let expected = try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.suite.appendingPathComponent(String(file.dropLast(5)) + ".json")),
                options: [.fragmentsAllowed]
            )
            do {
                let table = try TOMLTable(bytes: bytes)
                if let difference = Self.difference(expected, Self.tagged(.table(table)), at: "") {
                    failures.append("\(file): \(difference)")
                }
            } catch {
                failures.append("\(file): refused: \(error)")
            }
        }
        for file in invalid {
            let bytes = try [UInt8](Data(contentsOf: Self.suite.appendingPathComponent(file)))
            do {
                _ = try TOMLTable(bytes: bytes)
                failures.append("\(file): accepted, but TOML 1.0 refuses it")
            } catch {
                if error.line < 1 { failures.append("\(file): refused without a line: \(error)") }
            }
        }
        let agreed = valid.count + invalid.count - failures.count
        print("toml-test 1.0.0: \(valid.count) valid and \(invalid.count) invalid documents, \(agreed) agree (\(failures.count) disagree)")
        #expect(failures.isEmpty, "\(failures.count) documents disagree:\n\(failures.joined(separator: "\n"))")
    }

    /// A value as toml-test's tagged JSON: tables as objects, arrays as arrays, scalars as
    /// `{"type": …, "value": "…"}`.
    static func tagged(_ value: TOMLValue) -> Any {
        switch value {
        case .table(let table): return table.entries.mapValues(tagged)
        case .array(let elements): return elements.map(tagged)
        case .string(let text): return ["type": "string", "value": text]
        case .integer(let number): return ["type": "integer", "value": String(number)]
        case .float(let number):
            return ["type": "float", "value": number.isNaN ? "nan" : number.isInfinite ? (number < 0 ? "-inf" : "inf") : "\(number)"]
        case .boolean(let flag): return ["type": "bool", "value": String(flag)]
        case .datetime(let datetime): return ["type": datetime.kind.rawValue, "value": datetime.description]
        }
    }

    /// Where `have` differs from `want`, or `nil`.
    static func difference(_ want: Any, _ have: Any, at path: String) -> String? {
        if let want = want as? [String: Any], want.count == 2, let type = want["type"] as? String, let value = want["value"] as? String {
            guard let have = have as? [String: Any], let haveType = have["type"] as? String, let haveValue = have["value"] as? String else {
                return "\(path): expected a \(type) value, got \(have)"
            }
            guard type == haveType else { return "\(path): expected type \(type), got \(haveType) (\(haveValue))" }
            return sameValue(type: type, value, haveValue) ? nil : "\(path): expected \(value), got \(haveValue)"
        }
        if let want = want as? [String: Any] {
            guard let have = have as? [String: Any] else { return "\(path): expected a table, got \(have)" }
            guard Set(want.keys) == Set(have.keys) else {
                return "\(path): expected keys \(want.keys.sorted()), got \(have.keys.sorted())"
            }
            for (key, value) in want {
                if let difference = difference(value, have[key]!, at: path + "." + key) { return difference }
            }
            return nil
        }
        if let want = want as? [Any] {
            guard let have = have as? [Any], have.count == want.count else { return "\(path): expected an array of \(want.count), got \(have)" }
            for (index, pair) in zip(want, have).enumerated() {
                if let difference = difference(pair.0, pair.1, at: "\(path)[\(index)]") { return difference }
            }
            return nil
        }
        return "\(path): unexpected expectation \(want)"
    }

    static func sameValue(type: String, _ want: String, _ have: String) -> Bool {
        switch type {
        case "float":
            let (w, h) = (want.lowercased(), have.lowercased())
            if w.hasSuffix("nan") || h.hasSuffix("nan") { return w.trimmingCharacters(in: ["+", "-"]) == h.trimmingCharacters(in: ["+", "-"]) }
            return Double(w.replacingOccurrences(of: "inf", with: "infinity")) == Double(h.replacingOccurrences(of: "inf", with: "infinity"))
        case "datetime", "datetime-local", "date-local", "time-local":
            guard let w = try? TOMLDateTime(parsing: Array(want.utf8)[...]), let h = try? TOMLDateTime(parsing: Array(have.utf8)[...]) else {
                return false
            }
            return instant(w) == instant(h)
        case "bool":
            return want.lowercased() == have.lowercased()
        default:
            return want == have
        }
    }

    /// What toml-test compares: the moment for an offset date-time (fields shifted to UTC), the
    /// fields otherwise; fractions to nanoseconds.
    static func instant(_ value: TOMLDateTime) -> [Int] {
        let nanoseconds = Int(String((value.time?.fraction ?? "") + "000000000").prefix(9)) ?? 0
        var minutes = (value.time?.hour ?? 0) * 60 + (value.time?.minute ?? 0) - (value.offsetMinutes ?? 0)
        var days = value.day.map { daysFromCivil($0.year, $0.month, $0.day) } ?? 0
        days += minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
        minutes = ((minutes % 1440) + 1440) % 1440
        return [days, minutes, value.time?.second ?? 0, nanoseconds, value.day == nil ? 0 : 1, value.time == nil ? 0 : 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
