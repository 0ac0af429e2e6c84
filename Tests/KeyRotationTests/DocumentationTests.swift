import Foundation
import Testing

/// The documents name only files that exist: every relative link (and its `#anchor`), and every
/// path into the tree a document mentions. Moving or renaming a file fails here instead of
/// leaving a reader at a dead end.
struct DocumentationTests {
    static let root: URL = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root
    }()

    static var documents: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? []
        return ["README.md", "config/keyrotd.toml", "systemd/keyrotd.service"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    @Test func theDocumentsAreThere() {
        #expect(Self.documents.contains("docs/configuration.md") && Self.documents.contains("docs/contributing.md"))
    }

    @Test(arguments: documents) func everyLinkAndPathExists(document: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(document), encoding: .utf8)
        let directory = Self.root.appendingPathComponent(document).deletingLastPathComponent()
        for match in text.matches(of: /\]\(([^)\s]+)\)/) {
            let target = String(match.1)
            if target.hasPrefix("http://") || target.hasPrefix("https://") || target.hasPrefix("mailto:") { continue }
            let parts = target.split(separator: "#", maxSplits: 1).map(String.init)
            let file = target.hasPrefix("#") ? URL(fileURLWithPath: document, relativeTo: Self.root) : directory.appendingPathComponent(parts[0])
            #expect(FileManager.default.fileExists(atPath: file.path), "\(document) links to \(target), which does not exist")
            if let anchor = target.hasPrefix("#") ? String(target.dropFirst()) : parts.count > 1 ? parts[1] : nil {
                let headings = (try? String(contentsOf: file, encoding: .utf8))?.split(separator: "\n").filter { $0.hasPrefix("#") } ?? []
                let slugs = headings.map { Self.slug(String($0)) }
                #expect(slugs.contains(anchor), "\(document) links to \(target), a heading that does not exist")
            }
        }
        let treePath = /(?:^|[\s`(])((?:Sources|Tests|scripts|Benchmarks|docs|man|systemd|config|packaging)\/[A-Za-z0-9_+.\/-]*[A-Za-z0-9_])/
        for match in text.matches(of: treePath) {
            let path = String(match.1)
            // Patterns stand for many files (`Tables/X+Reading.swift`).
            if path.contains("X+") || path.contains("/X.") { continue }
            let exists = FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path)
            #expect(exists, "\(document) names \(path), which does not exist")
        }
    }

    /// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
    static func slug(_ heading: String) -> String {
        let title = heading.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces).lowercased()
        return String(title.compactMap { $0 == " " ? "-" : ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : nil })
    }
}
