import AzureClient
import AzureEmulator
import Foundation
import Testing

/// The emulated Key Vault secrets API on the wire: the challenge, audiences, versions and paging,
/// disabled versions, what a read-only principal may do, and the vault's write budget.
struct KeyVaultTests {
    static let vaultScope = "https://vault.azure.net/.default"

    /// `path` on the emulator's vault (its base URL), with the api-version.
    func vault(_ h: EmulatorHarness, _ path: String, apiVersion: String = "7.6") -> String {
        path + (path.contains("?") ? "&" : "?") + "api-version=" + apiVersion
    }

    func token(_ h: EmulatorHarness, reader: Bool = false, scope: String = vaultScope) async throws -> String {
        let info = h.emulator.info
        let credential: CachedCredential
        if reader {
            let file = NSTemporaryDirectory() + "emu-reader-\(UUID().uuidString.prefix(8))"
            try info.readerClientSecret.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            credential = CachedCredential(source: ClientSecretSource(endpoint: h.entra(clientID: info.readerClientID), secretFile: file))
            return "Bearer " + (try await credential.token(scope: scope)).token.exposedValue
        }
        return "Bearer " + (try await h.credential().token(scope: scope)).token.exposedValue
    }

    func json(_ response: HTTPResponseData) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            "\(String(decoding: response.body, as: UTF8.self))"
        )
    }

    func errorCode(_ response: HTTPResponseData) throws -> (String?, String?) {
        let error = try json(response)["error"] as? [String: Any]
        return (error?["code"] as? String, (error?["innererror"] as? [String: Any])?["code"] as? String)
    }

    @Test func aRequestWithoutATokenGetsTheChallengeThatNamesTheTenantAndTheVaultResource() async throws {
        try await EmulatorHarness.with { h in
            let response = try await h.raw("PUT", vault(h, "/secrets/app"), body: #"{"value":"v"}"#)
            #expect(response.status == 401)
            #expect(
                response.header("WWW-Authenticate")
                    == #"Bearer authorization="\#(h.emulator.info.baseURL)/\#(h.emulator.info.tenant)", resource="https://vault.azure.net""#
            )
            #expect(String(decoding: response.body, as: UTF8.self).contains("AKV10000: Request is missing a Bearer or PoP token."))
            #expect(try await h.stats()["keyVaultWrites"] as? Int == 0)
        }
    }

    @Test func tokensAreForTheirAudienceOnly() async throws {
        try await EmulatorHarness.with { h in
            let armToken = try await h.bearer()
            let refused = try await h.raw("GET", vault(h, "/secrets/app"), headers: [("Authorization", armToken)])
            #expect(refused.status == 401)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("AKV10022: Invalid audience"))
            let vaultToken = try await token(h)
            let atARM = try await h.raw(
                "GET",
                "/subscriptions/\(h.emulator.info.subscription)/resourceGroups?api-version=2021-04-01",
                headers: [("Authorization", vaultToken)]
            )
            #expect(atARM.status == 401)
            #expect(try errorCode(atARM).0 == "InvalidAuthenticationTokenAudience")
        }
    }

    @Test func everySetIsANewVersionListedInPagesAndTheLatestIsTheNewest() async throws {
        try await EmulatorHarness.with { h in
            let auth = [("Authorization", try await token(h))]
            var versions: [String] = []
            for i in 1...5 {
                let set = try await h.raw("PUT", vault(h, "/secrets/App-Key"), headers: auth, body: #"{"value":"value-\#(i)","tags":{"n":"\#(i)"}}"#)
                #expect(set.status == 200)
                let id = try #require(try json(set)["id"] as? String)
                #expect(id.hasPrefix(h.emulator.info.keyVaultURL + "/secrets/App-Key/"))
                versions.append(String(id.split(separator: "/").last!))
            }
            #expect(versions.allSatisfy { $0.count == 32 } && Set(versions).count == 5)
            // Names compare case-insensitively; the SDK asks for the latest with an empty version.
            let latest = try json(try await h.raw("GET", vault(h, "/secrets/app-key/"), headers: auth))
            #expect(latest["value"] as? String == "value-5")
            let first = try json(try await h.raw("GET", vault(h, "/secrets/app-key/\(versions[0])"), headers: auth))
            #expect(first["value"] as? String == "value-1" && (first["tags"] as? [String: String]) == ["n": "1"])

            var listed: [String] = []
            var next: String? = vault(h, "/secrets/app-key/versions?maxresults=2")
            while let path = next {
                let page = try json(try await h.raw("GET", path, headers: auth))
                let items = try #require(page["value"] as? [[String: Any]])
                #expect(items.count <= 2 && items.allSatisfy { $0["value"] == nil }, "items carry no value")
                listed += items.compactMap { ($0["id"] as? String)?.split(separator: "/").last.map(String.init) }
                next = (page["nextLink"] as? String).map { String($0.dropFirst(h.emulator.info.baseURL.count)) }
            }
            #expect(listed == versions)
            let missing = try await h.raw("GET", vault(h, "/secrets/nothing-here"), headers: auth)
            #expect(missing.status == 404)
            #expect(try errorCode(missing).0 == "SecretNotFound")
            let badName = try await h.raw("PUT", vault(h, "/secrets/bad_name"), headers: auth, body: #"{"value":"v"}"#)
            #expect(badName.status == 400)
            #expect(try errorCode(badName).0 == "BadParameter")
        }
    }

    @Test func aDisabledVersionIsRefusedAndAReaderMayChangeTagsOnly() async throws {
        try await EmulatorHarness.with { h in
            let writer = [("Authorization", try await token(h))]
            let reader = [("Authorization", try await token(h, reader: true))]
            let set = try json(try await h.raw("PUT", vault(h, "/secrets/app"), headers: writer, body: #"{"value":"one"}"#))
            let version = String(try #require(set["id"] as? String).split(separator: "/").last!)

            let readerSet = try await h.raw("PUT", vault(h, "/secrets/app"), headers: reader, body: #"{"value":"two"}"#)
            #expect(readerSet.status == 403)
            #expect(try errorCode(readerSet) == ("Forbidden", "ForbiddenByRbac"))
            let tagged = try await h.raw(
                "PATCH",
                vault(h, "/secrets/app/\(version)"),
                headers: reader,
                body: #"{"tags":{"confirmed-web-1":"sha256:x"}}"#
            )
            #expect(tagged.status == 200)
            #expect((try json(tagged)["tags"] as? [String: String]) == ["confirmed-web-1": "sha256:x"])
            let readerDisable = try await h.raw(
                "PATCH",
                vault(h, "/secrets/app/\(version)"),
                headers: reader,
                body: #"{"attributes":{"enabled":false}}"#
            )
            #expect(readerDisable.status == 403)

            let disabled = try await h.raw("PATCH", vault(h, "/secrets/app/\(version)"), headers: writer, body: #"{"attributes":{"enabled":false}}"#)
            #expect((try json(disabled)["attributes"] as? [String: Any])?["enabled"] as? Bool == false)
            let refused = try await h.raw("GET", vault(h, "/secrets/app/\(version)"), headers: reader)
            #expect(refused.status == 403)
            #expect(try errorCode(refused) == ("Forbidden", "SecretDisabled"))
            #expect(try await h.raw("GET", vault(h, "/secrets/app/versions"), headers: reader).status == 200, "a disabled version is still listed")
        }
    }

    @Test func aVersionCarriesAtMostFifteenTags() async throws {
        try await EmulatorHarness.with { h in
            let writer = [("Authorization", try await token(h))]
            func tags(_ count: Int) -> String { "{" + (1...count).map { #""t\#($0)":"x""# }.joined(separator: ",") + "}" }
            let tooMany = try await h.raw("PUT", vault(h, "/secrets/app"), headers: writer, body: #"{"value":"v","tags":\#(tags(16))}"#)
            #expect(tooMany.status == 400)
            #expect(try errorCode(tooMany).0 == "BadParameter")
            let set = try json(try await h.raw("PUT", vault(h, "/secrets/app"), headers: writer, body: #"{"value":"v","tags":\#(tags(15))}"#))
            let version = String(try #require(set["id"] as? String).split(separator: "/").last!)
            let patched = try await h.raw("PATCH", vault(h, "/secrets/app/\(version)"), headers: writer, body: #"{"tags":\#(tags(16))}"#)
            #expect(patched.status == 400)
            #expect(try await h.stats()["keyVaultWrites"] as? Int == 1)
        }
    }

    @Test func creationsOverTheVaultsBudgetAreThrottledAndReadsAreNot() async throws {
        try await EmulatorHarness.with({ $0.keyVaultWriteLimit = 3 }) { h in
            let auth = [("Authorization", try await token(h))]
            for i in 1...3 {
                #expect(try await h.raw("PUT", vault(h, "/secrets/app"), headers: auth, body: #"{"value":"\#(i)"}"#).status == 200)
            }
            let throttled = try await h.raw("PUT", vault(h, "/secrets/app"), headers: auth, body: #"{"value":"4"}"#)
            #expect(throttled.status == 429)
            #expect(try errorCode(throttled).0 == "Throttled")
            #expect(throttled.header("Retry-After").flatMap { Int($0) }.map { (1...10).contains($0) } == true)
            #expect(try await h.raw("GET", vault(h, "/secrets/app"), headers: auth).status == 200)
            #expect(try await h.stats()["keyVaultThrottled"] as? Int == 1)
        }
    }

    @Test(arguments: ["", "1.0"])
    func anUnknownOrMissingAPIVersionIsRefused(apiVersion: String) async throws {
        try await EmulatorHarness.with { h in
            let path = "/secrets/app" + (apiVersion.isEmpty ? "" : "?api-version=\(apiVersion)")
            let response = try await h.raw("GET", path, headers: [("Authorization", try await token(h))])
            #expect(response.status == 400)
            #expect(try errorCode(response).0 == "BadParameter")
        }
    }
}
