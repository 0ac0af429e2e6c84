import Testing

@testable import KeyRotation

struct ConnectionStringTests {
    @Test func readsFieldsInOrderWithNamesInAnyCase() throws {
        let text = "Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc+/def==;EntityPath=orders"
        let parsed = try ConnectionString(parsing: text)
        #expect(parsed.fields.map(\.name) == ["endpoint", "sharedaccesskeyname", "sharedaccesskey", "entitypath"])
        #expect(parsed["SHAREDACCESSKEY"] == "abc+/def==", "the value keeps every '=' after the first")
        #expect(parsed["endpoint"] == "sb://orders.servicebus.windows.net/")
        #expect(parsed["accesskey"] == nil)
    }

    @Test func skipsTheEmptyPartsOfATrailingSemicolon() throws {
        let parsed = try ConnectionString(parsing: "Endpoint=https://s.service.signalr.net;AccessKey=k==;Version=1.0;")
        #expect(parsed.fields.count == 3)
        #expect(parsed["version"] == "1.0")
    }

    @Test func refusesAPartWithoutAValueAndARepeatedName() {
        #expect(throws: ConnectionString.Problem.notNameValue) { try ConnectionString(parsing: "endpoint=https://a;accesskey") }
        #expect(throws: ConnectionString.Problem.repeated("accesskey")) { try ConnectionString(parsing: "AccessKey=a;accesskey=b") }
        // The problem names the field, never the value.
        #expect(ConnectionString.Problem.repeated("accesskey").description == "names accesskey twice")
    }
}
