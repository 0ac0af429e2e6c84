import Foundation
import KeyRotation
import Testing

@testable import ConfigurationFile

struct CredentialConfigurationTests {
    /// Loads a document with the given credential tables and one resource per credential.
    func load(_ tables: String) throws -> Configuration {
        let directory = NSTemporaryDirectory() + "keyrotd-credential-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/secret", contents: Data("s".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: directory + "/key.pem", contents: Data("k".utf8), attributes: [.posixPermissions: 0o600])
        let text = """
            [daemon]
            secrets_dir = "secrets"
            state_dir = "state"
            \(tables)
            [[resource]]
            id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-1"
            credential = "gov"
            """
        try text.write(toFile: directory + "/keyrotd.toml", atomically: true, encoding: .utf8)
        return try ConfigurationLoader().load(path: directory + "/keyrotd.toml").0
    }

    @Test func cloudsSetAuthorityEndpointAndScopeAndEachCanBeOverridden() throws {
        let configuration = try load(
            """
            [credential.gov]
            kind = "managed-identity"
            cloud = "AzureUSGovernment"
            resource_id = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
            [credential.china]
            kind = "workload-identity"
            cloud = "AzureChinaCloud"
            arm_endpoint = "https://arm.example.cn"
            [credential.cert]
            tenant = "t"
            client_id = "c"
            certificate_file = "key.pem"
            assertion_algorithm = "rs256"
            [credential.auto]
            kind = "auto"
            """
        )
        let gov = try #require(configuration.credentials["gov"])
        #expect(gov.authorityHost.absoluteString == "https://login.microsoftonline.us")
        #expect(gov.armEndpoint.absoluteString == "https://management.usgovcloudapi.net")
        #expect(gov.scope == "https://management.core.usgovcloudapi.net/.default")
        #expect(
            gov.kind
                == .managedIdentity(.resourceID("/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"))
        )
        let china = try #require(configuration.credentials["china"])
        #expect(china.authorityHost.absoluteString == "https://login.chinacloudapi.cn")
        #expect(china.armEndpoint.absoluteString == "https://arm.example.cn")
        #expect(china.scope == "https://arm.example.cn/.default", "an overridden endpoint brings its own scope")
        #expect(china.kind == .workloadIdentity(tokenFile: nil))
        let cert = try #require(configuration.credentials["cert"])
        #expect(cert.scope == "https://management.azure.com/.default")
        guard case .clientCertificate(let certificate, let key, .rs256) = cert.kind else {
            Issue.record("expected an RS256 certificate credential, got \(cert.kind)")
            return
        }
        #expect(certificate == key && certificate.hasSuffix("/key.pem"))
        #expect(configuration.credentials["auto"]?.kind == .auto)
    }

    @Test func aManagedIdentityNamesAtMostOneUserAssignedIdentity() throws {
        #expect(throws: (any Error).self) {
            try load("[credential.gov]\nkind = \"managed-identity\"\nclient_id = \"a\"\nobject_id = \"b\"\n")
        }
    }
}
