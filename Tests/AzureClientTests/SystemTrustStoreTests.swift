import AzureClient
import Foundation
import Glibc
import Testing

@testable import AzureEmulator

/// The trust store diagnosis: each way a minimal host can lack usable roots is named with its path
/// and the package that provides it.
struct SystemTrustStoreTests {
    let directory: String

    init() throws {
        directory = try #require(String(validatingCString: mkdtemp(strdup(NSTemporaryDirectory() + "/truststore.XXXXXX"))))
    }

    func store(readFile: @escaping @Sendable (String) throws -> [UInt8] = SystemTrustStore.read) -> SystemTrustStore {
        SystemTrustStore(bundleFiles: [directory + "/ca-certificates.crt"], directories: [directory + "/certs"], readFile: readFile)
    }

    @Test func aBundleWithACertificateIsUsable() throws {
        try CertificateAuthority(hosts: ["127.0.0.1"]).caPEM.write(toFile: directory + "/ca-certificates.crt", atomically: true, encoding: .utf8)
        #expect(store().problem() == nil)
    }

    @Test func noBundleAndNoDirectoryNamesBothPathsAndThePackage() throws {
        let problem = try #require(store().problem())
        #expect(problem.contains("there is no system trust store"))
        #expect(problem.contains(directory + "/ca-certificates.crt") && problem.contains(directory + "/certs"))
        #expect(problem.contains("ca-certificates package"))
    }

    struct Denied: Error, CustomStringConvertible {
        var description: String { "Permission denied" }
    }

    @Test func anUnreadableBundleIsNamedWithItsError() throws {
        try "x".write(toFile: directory + "/ca-certificates.crt", atomically: true, encoding: .utf8)
        let problem = try #require(store(readFile: { _ in throw Denied() }).problem())
        #expect(problem.contains("\(directory)/ca-certificates.crt cannot be read"))
        #expect(problem.contains("Permission denied"))
    }

    @Test func aBundleWithoutCertificatesIsNotUsable() throws {
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(
            toFile: directory + "/ca-certificates.crt",
            atomically: true,
            encoding: .utf8
        )
        let problem = try #require(store().problem())
        #expect(problem.contains("\(directory)/ca-certificates.crt holds no usable certificate"))
    }

    @Test func aDirectoryCountsOnlyWithHashedLinks() throws {
        try FileManager.default.createDirectory(atPath: directory + "/certs", withIntermediateDirectories: true)
        try "".write(toFile: directory + "/certs/README", atomically: true, encoding: .utf8)
        #expect(try #require(store().problem()).contains("\(directory)/certs holds no hashed certificate"))
        try "".write(toFile: directory + "/certs/5ed36f99.0", atomically: true, encoding: .utf8)
        #expect(store().problem() == nil)
    }
}
