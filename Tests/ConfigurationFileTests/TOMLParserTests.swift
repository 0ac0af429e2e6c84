import Foundation
import KeyRotation
import PropertyBased
import Testing

@testable import ConfigurationFile

struct TOMLParserTests {
    @Test func parsesTheShapesAConfigurationUses() throws {
        let table = try TOMLTable(
            string: """
                # a comment
                title = "x\\u00e9\\n\\t\\"q\\"" # trailing comment
                path = 'C:\\no\\escapes'
                hex = 0x1F
                big = 1_000
                negative = -17
                ratio = 2.5e-1
                on = true
                list = [1, 2,
                  3, # inside
                ]
                inline = { x = 1, y.z = "q" }
                when = 1979-05-27 07:32:00Z
                "quoted key" = 1
                a.b.c = "dotted"

                [daemon]
                secrets_dir = "/var/lib/keyrotd"

                [credential.main]
                kind = "service-principal"

                [[resource]]
                name = "one"
                [[resource.outputs]]
                file = "one.env"
                [[resource]]
                name = "two"
                [resource.extra]
                z = false
                text = \"\"\"
                first \\
                   joined\"\"\"
                raw = '''
                kept \\n as is'''
                """
        )
        #expect(table["title"] == .string("xé\n\t\"q\""))
        #expect(table["path"]?.string == "C:\\no\\escapes")
        #expect(table["hex"]?.int == 31)
        #expect(table["big"]?.int == 1000)
        #expect(table["negative"]?.int == -17)
        #expect(table["ratio"]?.double == 0.25)
        #expect(table["on"]?.bool == true)
        #expect(table["list"] == .array([.integer(1), .integer(2), .integer(3)]))
        #expect(table["inline"]?.table?["y"]?.table?["z"] == .string("q"))
        #expect(
            table["when"].map { "\($0)" } != nil
                && { if case .datetime(let d)? = table["when"] { d.description == "1979-05-27T07:32:00Z" } else { false } }()
        )
        #expect(table["quoted key"]?.int == 1)
        #expect(table["a"]?.table?["b"]?.table?["c"]?.string == "dotted")
        #expect(table["daemon"]?.table?["secrets_dir"]?.string == "/var/lib/keyrotd")
        #expect(table["credential"]?.table?["main"]?.table?["kind"]?.string == "service-principal")
        let resources = try #require(table["resource"]?.array)
        #expect(resources.count == 2)
        #expect(resources[0].table?["outputs"]?.array?.first?.table?["file"]?.string == "one.env")
        #expect(resources[1].table?["name"]?.string == "two")
        #expect(resources[1].table?["extra"]?.table?["z"]?.bool == false)
        #expect(resources[1].table?["extra"]?.table?["text"]?.string == "first joined")
        #expect(resources[1].table?["extra"]?.table?["raw"]?.string == "kept \\n as is")
    }

    @Test func recordsWhereEveryKeyAndTableWasWritten() throws {
        let table = try TOMLTable(
            string: "top = 1\n[daemon]\n  concurrency = 4\n[[resource]]\nid = \"a\"\nout.file = \"x\"\n[[ resource ]]\nid = \"b\"\n"
        )
        #expect(table.position(of: "top") == TOMLPosition(line: 1, column: 1))
        #expect(table.position(of: "daemon") == TOMLPosition(line: 2, column: 2))
        let daemon = try #require(table["daemon"]?.table)
        #expect(daemon.position == TOMLPosition(line: 2, column: 2))
        #expect(daemon.position(of: "concurrency") == TOMLPosition(line: 3, column: 3))
        let elements = try #require(table["resource"]?.array)
        let resources = elements.compactMap(\.table)
        #expect(resources.map(\.position) == [TOMLPosition(line: 4, column: 3), TOMLPosition(line: 7, column: 4)])
        #expect(resources[0].position(of: "out") == TOMLPosition(line: 6, column: 1))
        #expect(resources[0]["out"]?.table?.position(of: "file") == TOMLPosition(line: 6, column: 5))
        #expect(resources[1].position(of: "id") == TOMLPosition(line: 8, column: 1))
    }

    @Test func acceptsCRLFLineBreaksAndAByteOrderMark() throws {
        let table = try TOMLTable(string: "\u{FEFF}[daemon]\r\nconcurrency = 4\r\n# c\r\nname = \"x\"\r\n")
        #expect(table["daemon"]?.table?["concurrency"]?.int == 4)
        #expect(table["daemon"]?.table?["name"]?.string == "x")
    }

    @Test(arguments: [
        ("[daemon]\nsecrets_dir = \n", 2, "expected a value"),
        ("a = 1\na = 2\n", 2, "duplicate key 'a'"),
        ("[t]\n[t]\n", 2, "table 't' is defined twice"),
        ("a.b = 1\n[a.b]\n", 2, "'a.b' is already a value, not a table"),
        ("a.b.c = 1\n[a.b]\n", 2, "table 'a.b' was already defined with dotted keys"),
        ("[a.b.c]\n[a]\nb.c.d = 1\n", 3, "table 'c' was defined by a [header]; a dotted key cannot add to it"),
        ("a = \"open\n", 1, "unterminated string (a string in \"quotes\" ends on its line)"),
        ("a = \"\\q\"\n", 1, "invalid escape '\\q'"),
        ("a = \"\\uD800\"\n", 1, "invalid Unicode escape: 4 hexadecimal digits of a Unicode scalar value expected"),
        ("a = 1\na.b = 2\n", 2, "'a' is already a value, not a table"),
        ("a = [1]\n[[a]]\n", 2, "'a' is already a value, not a table"),
        ("[a]\n[[a]]\n", 2, "'a' is already a table, not an array of tables"),
        ("a = { x = 1 }\n[a.y]\n", 2, "'a' is already a value, not a table"),
        ("a = bare\n", 1, "'bare' is not a TOML value (strings need quotes)"),
        ("a = 012\n", 1, "'012' is not a valid number"),
        ("a = 1__0\n", 1, "'1__0' is not a valid number"),
        ("a = 2026-02-29\n", 1, "'2026-02-29' is not a valid date or time: 2026-2 has no day 29"),
        ("# bell \u{7}\n", 1, "control character in a comment"),
        ("a = 1\r", 1, "a carriage return must be followed by a line feed"),
        ("a = 1 2\n", 1, "expected the end of the line"),
        ("a = { x = 1,\n y = 2 }\n", 1, "expected a key"),
        ("[t\n", 1, "expected ']' to close the table header"),
        ("= 1\n", 1, "expected a key"),
        ("a = [1 2]\n", 1, "expected ',' or ']' in the array"),
    ])
    func rejectsWhatIsNotTOML(source: String, line: Int, message: String) {
        #expect(throws: TOMLSyntaxError.self) { try TOMLTable(string: source) }
        do {
            _ = try TOMLTable(string: source)
        } catch {
            #expect(error.line == line)
            #expect(error.message == message)
        }
    }

    @Test func anyStringSurvivesEscapingAndParsing() async {
        let alphabet: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "'", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "#", "=", "[", "]"]
        await propertyCheck(count: 300, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            let scalars = (0..<Int(random.next() % 24)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let text = String(String.UnicodeScalarView(scalars))
            var escaped = ""
            for scalar in scalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: escaped += String(format: "\\u%04X", scalar.value)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            #expect((try? TOMLTable(string: "k = \"\(escaped)\"\n"))?["k"]?.string == text)
        }
    }
}
