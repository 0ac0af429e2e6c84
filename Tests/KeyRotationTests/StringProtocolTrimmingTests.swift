import KeyRotation
import PropertyBased
import Testing

struct StringProtocolTrimmingTests {
    @Test(arguments: [("  a b \n", "a b"), ("\t\r\nx\r\n", "x"), ("", ""), (" \n\t ", ""), ("a", "a"), ("\u{00A0}é\u{2003}", "é")])
    func trimsWhitespaceAndLineBreaksAtBothEnds(text: String, trimmed: String) {
        #expect(text.trimmingWhitespace() == trimmed)
        #expect(text[...].trimmingWhitespace() == trimmed)
    }

    @Test func trimsOnlyWhatThePredicateNames() {
        #expect("\" /var/opt/a.key\" ".trimming { $0 == "\"" || $0 == " " } == "/var/opt/a.key")
        #expect("\"\"".trimming { $0 == "\"" } == "")
    }

    @Test func neverTouchesTheInside() async {
        await propertyCheck(input: Gen.latin1.string(of: 0...20)) { inner in
            let core = inner.trimmingWhitespace()
            #expect(core.isEmpty || inner.contains(core))
            #expect(core.first?.isWhitespace != true && core.last?.isWhitespace != true)
            #expect(("  \n" + core + "\t ").trimmingWhitespace() == core)
        }
    }
}
