import KeyRotation
import PropertyBased
import Testing

struct DurationFormatTests {
    @Test(arguments: [("30d", 2_592_000_000), ("12h", 43_200_000), ("15m", 900_000), ("90s", 90_000), ("250ms", 250), ("1h30m", 5_400_000)])
    func parsesUnits(text: String, milliseconds: Int64) {
        #expect(DurationFormat.parse(text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "30", "d", "5x", "-5s", "1.5h", "30 d", "1h-5m", "9999999999999d"])
    func rejectsMalformed(text: String) {
        #expect(DurationFormat.parse(text) == nil)
    }

    @Test func formatThenParseIsIdentity() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...400_000_000_000)) { ms in
            let duration = Duration.milliseconds(Int64(ms))
            #expect(DurationFormat.parse(DurationFormat.format(duration)) == duration || ms == 0)
        }
    }
}
