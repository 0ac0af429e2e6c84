import Foundation
import KeyRotation
import TestSupport
import Testing

@testable import ConfigurationFile

/// The declarations are the one source: each is complete, and the table of docs/configuration.md and the annotated
/// example agree with them (a key added without documentation fails here).
struct ConfigurationSchemaTests {
    static let root: URL = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root
    }()

    @Test func everyKeyIsDeclaredCompletelyAndOncePerTable() {
        for key in ConfigurationSchema.keys {
            #expect(!key.summary.isEmpty, "\(key.name) has no description")
            #expect(!key.tables.isEmpty, "\(key.name) appears in no table")
            #expect(key.credentialKinds.isEmpty || key.tables == [.credential], "\(key.name): identity kinds apply to [credential.NAME] keys only")
            #expect(
                (key.valueType == nil) == (key.kind == .tables),
                "\(key.name): every value parses as a type; an array of tables is read table by table"
            )
            if case .restart = key.reload {
                #expect(key.tables == [.daemon] || key.tables == [.ha], "\(key.name): only [daemon] and [ha] keys wait for a restart")
            }
            if key.tables.contains(.output) {
                #expect(
                    Set(key.variants).isSubset(of: [SecretOutput.fileVariant, KeyVaultOutput.variant]),
                    "\(key.name): an output is a file or a vault"
                )
            }
            switch (key.kind, key.defaultValue) {
            case (.integer(let range), .integer(let value)): #expect(range.contains(value), "\(key.name)'s default is out of its range")
            case (.number(let range), .number(let value)): #expect(range.contains(value), "\(key.name)'s default is out of its range")
            case (.duration(let range), .duration(let value)): #expect(range?.contains(value) ?? true, "\(key.name)'s default is out of its range")
            case (.choice(let words), .string(let value)): #expect(words.contains(value), "\(key.name)'s default is not one of its choices")
            case (.boolean, .boolean), (.mode, .mode), (.string, .string), (.path, .string), (_, .none), (_, .required), (_, .described):
                break
            default:
                Issue.record("\(key.name)'s default \(key.defaultValue) does not fit its type \(key.kind)")
            }
        }
        for table in ConfigurationKey.Table.allCases {
            let names = ConfigurationSchema.keys(in: table).map(\.name)
            #expect(names.count == Set(names).count, "a key is declared twice in \(table.rawValue)")
        }
        let kinds = ConfigurationSchema.credentialKind.kind
        for key in ConfigurationSchema.keys {
            for kind in key.credentialKinds {
                #expect(kinds == .choice(kinds.choices) && kinds.choices.contains(kind), "\(key.name) names an unknown identity kind \(kind)")
            }
        }
    }

    /// The table in docs/configuration.md is the generated one. After changing a declaration, run this test with
    /// `KEYROTD_WRITE_DOCS=1` in the environment to write the new table into docs/configuration.md.
    @Test func theDocumentedTableIsTheDeclarations() throws {
        let path = Self.root.appendingPathComponent("docs/configuration.md")
        var document = try String(contentsOf: path, encoding: .utf8)
        let begin = "<!-- BEGIN configuration table: generated from the declarations in Sources/ConfigurationFile/Tables -->\n"
        let end = "\n<!-- END configuration table -->"
        let start = try #require(document.firstRange(of: begin), "docs/configuration.md has no generated configuration table")
        let stop = try #require(document[start.upperBound...].firstRange(of: end))
        let table = String(document[start.upperBound..<stop.lowerBound])
        if ProcessInfo.processInfo.environment["KEYROTD_WRITE_DOCS"] == "1", table != ConfigurationSchema.markdownTable {
            document.replaceSubrange(start.upperBound..<stop.lowerBound, with: ConfigurationSchema.markdownTable)
            try document.write(to: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            table == ConfigurationSchema.markdownTable,
            "docs/configuration.md's configuration table differs from the declarations; replace it with:\n\(ConfigurationSchema.markdownTable)"
        )
    }

    /// `man/keyrotd.toml.5` is the generated manual, and `man` renders it without a warning. With
    /// `KEYROTD_WRITE_DOCS=1` in the environment the test writes the file instead.
    @Test func theManualIsTheDeclarationsAndRendersCleanly() async throws {
        let path = Self.root.appendingPathComponent("man/keyrotd.toml.5")
        if ProcessInfo.processInfo.environment["KEYROTD_WRITE_DOCS"] == "1" {
            try ConfigurationSchema.manualPage.write(to: path, atomically: true, encoding: .utf8)
        }
        let page = try String(contentsOf: path, encoding: .utf8)
        #expect(page == ConfigurationSchema.manualPage, "man/keyrotd.toml.5 differs from the declarations; run this test with KEYROTD_WRITE_DOCS=1")
        let man = try await Tool.run(
            "/usr/bin/man",
            ["--warnings", "-E", "UTF-8", "-l", path.path],
            environment: ["MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"]
        )
        let warnings = String(decoding: man.errors, as: UTF8.self)
        #expect(man.status == 0 && warnings.isEmpty, "man --warnings: \(warnings)")
    }

    /// Every declared key appears (set or commented out) in a section of config/keyrotd.toml where it
    /// may appear, and every key the example shows is declared for its section.
    @Test func theAnnotatedExampleShowsEveryKeyWhereItBelongs() throws {
        let example = try String(contentsOf: Self.root.appendingPathComponent("config/keyrotd.toml"), encoding: .utf8)
        var table: ConfigurationKey.Table?
        var shown: [(ConfigurationKey.Table, String, Int)] = []
        for (number, raw) in example.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.hasPrefix("#") { line = line.dropFirst().drop { $0 == " " } }
            if line.hasPrefix("[[resource.outputs]]") {
                table = .output
                shown.append((.resource, "outputs", number + 1))
            } else if line.hasPrefix("[[follow]]") {
                table = .follow
            } else if line.hasPrefix("[[application]]") {
                table = .application
            } else if line.hasPrefix("[[resource]]") {
                table = .resource
            } else if line.hasPrefix("[ha]") {
                table = .ha
            } else if line.hasPrefix("[daemon]") {
                table = .daemon
            } else if line.hasPrefix("[defaults]") {
                table = .defaults
            } else if line.hasPrefix("[credential.") {
                table = .credential
            } else if let table, let equals = line.firstIndex(of: "="),
                case let name = line[..<equals].trimmingCharacters(in: .whitespaces),
                !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0 == "_" })
            {
                shown.append((table, name, number + 1))
            }
        }
        for (table, name, line) in shown {
            #expect(
                ConfigurationSchema.keys(in: table).contains { $0.name == name },
                "config/keyrotd.toml:\(line): \(name) is not declared for \(table.rawValue)"
            )
        }
        for key in ConfigurationSchema.keys {
            #expect(shown.contains { key.tables.contains($0.0) && $0.1 == key.name }, "config/keyrotd.toml does not show \(key.name)")
        }
    }
}

extension ConfigurationKey.Kind {
    fileprivate var choices: [String] {
        if case .choice(let words) = self { words } else { [] }
    }
}
