import Foundation
import KeyRotation
import PropertyBased
import Testing

struct KeyValueRulesTests {
    let rules = ResourceType.communicationServices.rules
    let key = Data(repeating: 0x5A, count: 64).base64EncodedString()

    /// Checks a primary key and its connection string as the ARM client does.
    func validate(_ connectionString: String, resourceName: String = "chat", rules: KeyValueRules? = nil) throws {
        let rules = rules ?? self.rules
        try rules.validateKey(key, field: "primaryKey")
        try rules.validateConnectionString(connectionString, key: key, field: "primaryConnectionString", resourceName: resourceName)
    }

    @Test(arguments: [
        "endpoint=https://chat.communication.azure.com/;accesskey=KEY",
        "endpoint=https://chat.unitedstates.communication.azure.com/;accesskey=KEY",
        "Endpoint=https://CHAT.communication.azure.us;AccessKey=KEY;",
        "endpoint=https://127.0.0.1:40443/acs/chat/;accesskey=KEY",
        "endpoint=http://[::1]:8080/acs/chat/;accesskey=KEY",
    ])
    func acceptsWhatAzureAndTheEmulatorIssue(connectionString: String) throws {
        try validate(connectionString.replacing("KEY", with: key))
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
            try validate(value)
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

    /// Each type's connection string as Azure issues it (the spec examples' shapes) passes its
    /// type's rules, and another type's does not.
    @Test(arguments: [
        (ResourceType.signalR, "Endpoint=https://chat.service.signalr.net;AccessKey=KEY;Version=1.0;"),
        (ResourceType.webPubSub, "Endpoint=https://chat.webpubsub.azure.com;AccessKey=KEY;Version=1.0;"),
        (ResourceType.serviceBus, "Endpoint=sb://chat.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=KEY"),
        (ResourceType.serviceBus, "Endpoint=sb://chat.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=KEY;EntityPath=orders"),
        (ResourceType.eventHubs, "Endpoint=sb://chat.servicebus.chinacloudapi.cn/;SharedAccessKeyName=listen;SharedAccessKey=KEY"),
        (ResourceType.appConfiguration, "Endpoint=https://chat.azconfig.io;Id=0-l4-s0:h5ZQX;Secret=KEY"),
        (ResourceType.cosmosDB, "AccountEndpoint=https://chat.documents.azure.com:443/;AccountKey=KEY;"),
        (ResourceType.serviceBus, "Endpoint=sb://127.0.0.1:40443/;SharedAccessKeyName=send;SharedAccessKey=KEY"),
    ])
    func everyTypeAcceptsItsOwnConnectionStrings(type: ResourceType, connectionString: String) throws {
        try validate(connectionString.replacing("KEY", with: key), rules: type.rules)
        if type != .communicationServices {
            #expect(throws: KeyValueRules.Violation.self) { try validate(connectionString.replacing("KEY", with: key)) }
        }
    }

    @Test func aTypeWithoutConnectionStringsRefusesOne() {
        let bare = KeyValueRules(alphabet: .base64, length: 16...1024, connectionString: nil)
        #expect(throws: KeyValueRules.Violation.self) {
            try validate("endpoint=https://chat.communication.azure.com/;accesskey=\(key)", rules: bare)
        }
    }

    /// Whatever ARM answers, the error never carries the value (it could be a real key).
    @Test func anErrorNeverQuotesTheValue() async {
        await propertyCheck(input: Gen.latin1.string(of: 1...40)) { noise in
            let marker = "Zq9" + noise
            for value in [marker, key + marker, "endpoint=https://chat.communication.azure.com/;accesskey=" + marker] {
                do {
                    try rules.validateKey(value, field: "primaryKey")
                    try rules.validateConnectionString(value, key: nil, field: "primaryConnectionString", resourceName: "chat")
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
        let hostile = KeyMaterial(
            slot: .primary,
            key: Secret(key),
            connectionString: Secret("endpoint=https://e/;accesskey=\(key)\nEVIL=1"),
            endpoint: "https://e/",
            keyName: "Primary"
        )
        #expect(throws: KeyValueRules.Violation.self) { try output.render(hostile, now: Date()) }
        let template = SecretOutput(
            file: "x",
            format: format,
            template: try SecretTemplate(parsing: "K={{key}}"),
            envName: "ACS",
            mode: 0o600,
            group: nil
        )
        let quoted = KeyMaterial(
            slot: .primary,
            key: Secret("\"" + key),
            connectionString: Secret("endpoint=https://e/;accesskey=\(key)"),
            endpoint: "https://e/",
            keyName: "Primary"
        )
        #expect(throws: KeyValueRules.Violation.self) { try template.render(quoted, now: Date()) }
        let fine = KeyMaterial(
            slot: .primary,
            key: Secret(key),
            connectionString: Secret("endpoint=https://e/;accesskey=\(key)"),
            endpoint: "https://e/",
            keyName: "Primary"
        )
        #expect(try !output.render(fine, now: Date()).isEmpty)
    }
}
