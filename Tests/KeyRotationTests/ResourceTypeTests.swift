import Foundation
import KeyRotation
import Testing

/// The descriptors: complete and consistent, and the types table of docs/configuration.md is made from them.
struct ResourceTypeTests {
    @Test(arguments: ResourceType.all)
    func everyDescriptorIsComplete(type: ResourceType) {
        #expect(ResourceType.named(type.name) == type)
        #expect(type.pairs[.readWrite] != nil, "every type has a read-write pair")
        #expect(!type.shapes.isEmpty && type.shapes.allSatisfy { !$0.isEmpty })
        #expect(type.apiVersion.count >= 10)
        switch type.connectionString {
        case .answer:
            #expect(type.rules.connectionString != nil, "an answer's connection string needs its shape")
            #expect(type.pairs.values.allSatisfy { $0.primary.connectionString != nil } || type.answer != .fields)
        case .listAction:
            #expect(type.rules.connectionString != nil)
        case .none, .built:
            break
        }
        if case .connectionString = type.endpoint {
            #expect(type.rules.connectionString != nil, "the endpoint comes from a connection string it must have")
        }
        #expect(Set(ResourceType.all.map(\.name)).count == ResourceType.all.count)
    }

    /// After changing a descriptor, run this test with `KEYROTD_WRITE_DOCS=1` to write the table.
    @Test func theDocumentedTableIsTheDescriptors() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let path = root.appendingPathComponent("docs/configuration.md")
        var document = try String(contentsOf: path, encoding: .utf8)
        let begin = "<!-- BEGIN types table: generated from ResourceType.all (Sources/KeyRotation/Resources) -->\n"
        let end = "\n<!-- END types table -->"
        let start = try #require(document.firstRange(of: begin), "docs/configuration.md has no generated types table")
        let stop = try #require(document[start.upperBound...].firstRange(of: end))
        let table = String(document[start.upperBound..<stop.lowerBound])
        if ProcessInfo.processInfo.environment["KEYROTD_WRITE_DOCS"] == "1", table != ResourceType.markdownTable {
            document.replaceSubrange(start.upperBound..<stop.lowerBound, with: ResourceType.markdownTable)
            try document.write(to: path, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            table == ResourceType.markdownTable,
            "docs/configuration.md's types table differs from the descriptors; replace it with:\n\(ResourceType.markdownTable)"
        )
    }
}
