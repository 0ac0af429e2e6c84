import PropertyBased
import Testing

@testable import AzureClient
@testable import AzureEmulator

/// keyrotd's form encoding (token requests) against the emulator's decoding of it.
struct FormEncodingTests {
    @Test func unreservedCharactersPassAndEverythingElseIsEscaped() {
        #expect(EntraTokenEndpoint.formEncode("aZ09-._~") == "aZ09-._~")
        #expect(EntraTokenEndpoint.formEncode("a b+c&d=e/é") == "a%20b%2Bc%26d%3De%2F%C3%A9")
        #expect(EmulatorRequest.formDecode("a+b%2Bc%zz%4") == "a b+c%zz%4")
    }

    @Test func anyTextSurvivesEncodingAndDecoding() async {
        await propertyCheck(count: 300, input: Gen.latin1.string(of: 0...40)) { text in
            #expect(EmulatorRequest.formDecode(Substring(EntraTokenEndpoint.formEncode(text))) == text)
        }
    }
}
