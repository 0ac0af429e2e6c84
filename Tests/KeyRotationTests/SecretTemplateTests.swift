import Foundation
import KeyRotation
import Testing

struct SecretTemplateTests {
    @Test func everyFieldIsRendered() throws {
        let material = KeyMaterial(
            slot: .primary,
            key: Secret("S0VZ"),
            connectionString: Secret("endpoint=https://e/;accesskey=S0VZ"),
            endpoint: "https://e/",
            keyName: "Primary"
        )
        let template = try SecretTemplate(parsing: "{{endpoint}}|{{key}}|{{keyName}}|{{connectionString}}|{{keyType}}|{{rotatedAt}}")
        let text = String(decoding: template.render(material, now: Date(timeIntervalSince1970: 0)), as: UTF8.self)
        #expect(text == "https://e/|S0VZ|Primary|endpoint=https://e/;accesskey=S0VZ|primary|1970-01-01T00:00:00Z")
    }

    @Test(arguments: [
        ("key={{secret}}", "unknown field '{{secret}}'"),
        ("key={{key", "'{{' without a closing '}}'"),
        ("endpoint={{endpoint}}", "names neither {{key}} nor {{connectionString}}"),
    ])
    func badTemplatesAreRefusedWithTheReason(text: String, reason: String) {
        #expect(throws: SecretTemplate.ParseError.self) { try SecretTemplate(parsing: text) }
        do {
            _ = try SecretTemplate(parsing: text)
        } catch {
            #expect(error.description.contains(reason))
        }
    }
}
