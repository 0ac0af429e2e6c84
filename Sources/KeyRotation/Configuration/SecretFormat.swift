import FoundationEssentials

/// How a published key is laid out in its secret file.
public enum SecretFormat: String, Sendable, CaseIterable, Codable {
    /// The connection string alone, the default of the types that have one.
    case connectionString = "connection-string"
    /// The access key alone, the default of the types without a connection string.
    case key
    /// One `NAME=<connection string>` line (the key where the type has no connection string), for
    /// `EnvironmentFile=` and dotenv readers.
    case env
    /// A JSON object with `endpoint`, `key`, `keyName`, `keyType` and, where the type has one, `connectionString`.
    case json

    /// The file name extension used when a resource names no output.
    public var defaultExtension: String {
        switch self {
        case .connectionString: return ".conn"
        case .key: return ".key"
        case .env: return ".env"
        case .json: return ".json"
        }
    }

    /// The file's bytes for `material`. `envName` is the variable name of the `env` format.
    public func render(_ material: KeyMaterial, envName: String) -> [UInt8] {
        switch self {
        case .connectionString:
            // The configuration check refuses this format for a type without connection strings.
            return Array((material.value.exposedValue + "\n").utf8)
        case .key:
            return Array((material.key.exposedValue + "\n").utf8)
        case .env:
            return Array("\(envName)=\(material.value.exposedValue)\n".utf8)
        case .json:
            var fields = [("endpoint", material.endpoint), ("key", material.key.exposedValue)]
            if let connectionString = material.connectionString { fields.append(("connectionString", connectionString.exposedValue)) }
            fields += [("keyName", material.keyName), ("keyType", material.slot.rawValue)]
            let body = fields.map { "  \"\($0.0)\": \"\(Self.jsonEscaped($0.1))\"" }.joined(separator: ",\n")
            return Array("{\n\(body)\n}\n".utf8)
        }
    }

    private static func jsonEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension KeyMaterial {
    /// Reads a file of the `json` format back (what a consumer does): `nil` when it is not one.
    public init?(json bytes: [UInt8]) {
        struct Fields: Decodable {
            var endpoint: String
            var key: String
            var keyName: String?
            var keyType: String?
            var connectionString: String?
        }
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(bytes)), let slot = KeySlot(rawValue: fields.keyType ?? "primary") else {
            return nil
        }
        self.init(
            slot: slot,
            key: Secret(fields.key),
            connectionString: fields.connectionString.map(Secret.init),
            endpoint: fields.endpoint,
            keyName: fields.keyName ?? ""
        )
    }
}
