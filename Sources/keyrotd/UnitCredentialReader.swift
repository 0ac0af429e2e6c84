import ConfigurationFile
import FoundationEssentials
import KeyRotation
import Subprocess
import SystemPackage

/// Reads a unit's effective `LoadCredential=` (drop-ins included) from the running systemd.
///
/// systemd 252's `systemctl show -p LoadCredential` prints `[unprintable]` for this property, so it
/// is read over D-Bus with `busctl --json=short`, which gives the (id, source) pairs as they are.
enum UnitCredentialReader {
    /// `unit`'s credentials, or why they cannot be known here.
    static func read(unit: String = "keyrotd.service") async -> Result<ServiceCredentials, ServiceCredentials.Unavailable> {
        let object = "/org/freedesktop/systemd1/unit/" + busPathComponent(unit)
        do {
            let state: String = try await property(object, "org.freedesktop.systemd1.Unit", "LoadState")
            guard state == "loaded" else { return .failure(ServiceCredentials.Unavailable("\(unit) is \(state) here")) }
            let pairs: [[String]] = try await property(object, "org.freedesktop.systemd1.Service", "LoadCredential")
            var sources: [String: String] = [:]
            for pair in pairs where pair.count == 2 { sources[pair[0]] = pair[1] }
            return .success(ServiceCredentials(unit: unit, sources: sources))
        } catch {
            return .failure(error)
        }
    }

    private struct Reply<Value: Decodable>: Decodable {
        var data: Value
    }

    private static func property<Value: Decodable>(
        _ object: String,
        _ interface: String,
        _ name: String
    ) async throws(ServiceCredentials.Unavailable) -> Value {
        let answered: Bool
        let output: String?
        do {
            let result = try await Subprocess.run(
                .path(FilePath("/usr/bin/busctl")),
                arguments: ["--json=short", "get-property", "org.freedesktop.systemd1", object, interface, name],
                output: .string(limit: 1 << 20),
                error: .discarded
            )
            answered = result.terminationStatus.isSuccess
            output = result.standardOutput
        } catch {
            throw ServiceCredentials.Unavailable("busctl could not run (\(error))")
        }
        guard answered, let text = output,
            let reply = try? JSONDecoder().decode(Reply<Value>.self, from: Data(text.utf8))
        else {
            throw ServiceCredentials.Unavailable("systemd did not answer over D-Bus (is it running here?)")
        }
        return reply.data
    }

    /// systemd's object path escaping: every byte but ASCII letters and digits as `_xx`.
    static func busPathComponent(_ name: String) -> String {
        name.utf8.map { byte in
            let c = Character(Unicode.Scalar(byte))
            return c.isASCII && (c.isLetter || c.isNumber) ? String(c) : "_" + String(byte, radix: 16).leftPadded(to: 2)
        }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
