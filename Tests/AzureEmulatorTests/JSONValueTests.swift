import Testing

@testable import AzureEmulator

struct JSONValueTests {
    @Test func parsesEveryShapeAndWritesItBackWithSortedKeys() throws {
        let text = #"{"b":[1,2.5,"x",true,null],"a":{"n":-3,"s":"p/q"}}"#
        let value = try #require(JSONValue(parsing: Array(text.utf8)))
        #expect(value["b"] == [.int(1), .double(2.5), "x", true, .null])
        #expect(value["a"]?["n"]?.number == -3 && value["a"]?["s"]?.string == "p/q")
        #expect(String(decoding: value.sortedJSON, as: UTF8.self) == #"{"a":{"n":-3,"s":"p/q"},"b":[1,2.5,"x",true,null]}"#)
    }

    @Test(arguments: ["", "{", "{\"a\":}", "nul", "[1 2]"])
    func refusesWhatIsNotJSON(text: String) {
        #expect(JSONValue(parsing: Array(text.utf8)) == nil)
    }
}
