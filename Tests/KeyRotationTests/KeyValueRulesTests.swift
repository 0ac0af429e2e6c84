import Foundation
import KeyRotation
import PropertyBased
import Testing

struct KeyValueRulesTests {
    let rules = KeyValueRules.communicationServices
    let key = Data(repeating: 0x5A, count: 64).base64EncodedString()

    func keys(_ connectionString: String, key: String? = nil) -> AccessKeys {
        AccessKeys(primaryKey: Secret(key ?? self.key), primaryConnectionString: Secret(connectionString))
    }

    @Test(arguments: [
        "endpoint=https://chat.communication.azure.com/;accesskey=KEY",
        "endpoint=https://chat.unitedstates.communication.azure.com/;accesskey=KEY",
        "Endpoint=https://CHAT.communication.azure.us;AccessKey=KEY;",
        "endpoint=https://127.0.0.1:40443/acs/chat/;accesskey=KEY",
        "endpoint=http://[::1]:8080/acs/chat/;accesskey=KEY",
    ])
    func acceptsWhatAzureAndTheEmulatorIssue(connectionString: String) throws {
        try rules.validate(keys(connectionString.replacing("KEY", with: key)), resourceName: "chat")
    }

    @Test(arguments: [
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY\nEVIL=1", "control character"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY EVIL", "space"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY$HOME", "'$'"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY\u{E9}", "non-ASCII"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=OTHER", "not the answer's key"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY;accesskey=KEY", "twice"),
        ("endpoint=https://chat.communication.azure.com/;accesskey=KEY;sharedaccesskeyname=x", "field other than"),
        ("endpoint=https://chat.communication.azure.com/", "lacks"),
        ("https://chat.communication.azure.com/;accesskey=KEY", "not name=value"),
        ("endpoint=http://chat.communication.azure.com/;accesskey=KEY", "endpoint"),
        ("endpoint=https://other.communication.azure.com/;accesskey=KEY", "endpoint"),
        ("endpoint=https://chat.communication.azure.com.evil.example/;accesskey=KEY", "endpoint"),
        ("endpoint=https://chat.evilcommunication.azure.com/;accesskey=KEY", "endpoint"),
        ("endpoint=https://user@chat.communication.azure.com/;accesskey=KEY", "endpoint"),
        ("endpoint=https://chat.communication.azure.com/path;accesskey=KEY", "endpoint"),
        ("endpoint=chat.communication.azure.com;accesskey=KEY", "endpoint"),
    ])
    func refusesHostileConnectionStringsNamingTheFieldNotTheValue(connectionString: String, reason: String) {
        let value = connectionString.replacing("KEY", with: key).replacing("OTHER", with: String(key.reversed()))
        #expect {
            try rules.validate(keys(value), resourceName: "chat")
        } throws: { error in
            let text = String(describing: error)
            return text.hasPrefix("primaryConnectionString ") && text.contains(reason) && !text.contains(key) && !text.contains("EVIL")
        }
    }

    @Test(arguments: [
        ("", "has 0 characters"),
        ("QUJD", "has 4 characters"),
        (String(repeating: "QUJD", count: 300), "has 1200 characters"),
        ("QUJDRA=x" + String(repeating: "QUJD", count: 4), "not base64"),
        ("QUJDRA==QUJDRA==QUJDRA==", "not base64"),
        ("QUJDRA-_QUJDRA__QUJDRA__", "not base64"),
        ("QUJDRA\tQUJDRAQUJDRAQUJD", "control character"),
    ])
    func refusesKeysOutsideTheAlphabetOrLength(key: String, reason: String) {
        #expect {
            try rules.validateKey(key, field: "secondaryKey")
        } throws: { error in
            String(describing: error).hasPrefix("secondaryKey ") && String(describing: error).contains(reason)
        }
    }

    @Test func acceptsLongerKeysThanAzureIssuesToday() throws {
        try rules.validateKey(Data(repeating: 7, count: 128).base64EncodedString(), field: "primaryKey")
        try rules.validateKey(Data(repeating: 7, count: 32).base64EncodedString(), field: "primaryKey")
        let hex = KeyValueRules(alphabet: .hex, length: 32...64, connectionString: nil)
        try hex.validateKey("0123456789abcdefABCDEF0123456789", field: "key1")
        #expect(throws: KeyValueRules.Violation.self) { try hex.validateKey("0123456789abcdefABCDEF012345678g", field: "key1") }
    }

    @Test func aTypeWithoutConnectionStringsRefusesOne() {
        let bare = KeyValueRules(alphabet: .base64, length: 16...1024, connectionString: nil)
        #expect(throws: KeyValueRules.Violation.self) {
            try bare.validate(keys("endpoint=https://chat.communication.azure.com/;accesskey=\(key)"), resourceName: "chat")
        }
    }

    /// Whatever ARM answers, the error never carries the value (it could be a real key).
    @Test func anErrorNeverQuotesTheValue() async {
        await propertyCheck(input: Gen.latin1.string(of: 1...40)) { noise in
            let marker = "Zq9" + noise
            for value in [marker, key + marker, "endpoint=https://chat.communication.azure.com/;accesskey=" + marker] {
                do {
                    try rules.validate(keys(value, key: value), resourceName: "chat")
                } catch {
                    #expect(!String(describing: error).contains(marker))
                }
            }
        }
    }

    /// The last guard at the file: a value no format can hold is never rendered.
    @Test(arguments: SecretFormat.allCases)
    func anOutputRefusesAValueItsFormatCannotHold(format: SecretFormat) throws {
        let output = SecretOutput(file: "x", format: format, envName: "ACS", mode: 0o600, group: nil)
        let hostile = KeyMaterial(slot: .primary, key: Secret(key), connectionString: Secret("endpoint=https://e/;accesskey=\(key)\nEVIL=1"))
        #expect(throws: KeyValueRules.Violation.self) { try output.render(hostile, now: Date()) }
        let template = SecretOutput(
            file: "x",
            format: format,
            template: try SecretTemplate(parsing: "K={{key}}"),
            envName: "ACS",
            mode: 0o600,
            group: nil
        )
        let quoted = KeyMaterial(slot: .primary, key: Secret("\"" + key), connectionString: Secret("endpoint=https://e/;accesskey=\(key)"))
        #expect(throws: KeyValueRules.Violation.self) { try template.render(quoted, now: Date()) }
        let fine = KeyMaterial(slot: .primary, key: Secret(key), connectionString: Secret("endpoint=https://e/;accesskey=\(key)"))
        #expect(try !output.render(fine, now: Date()).isEmpty)
    }
}
