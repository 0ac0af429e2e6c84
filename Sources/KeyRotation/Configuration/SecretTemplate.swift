import FoundationEssentials

/// A secret file laid out by the operator: text with `{{field}}` placeholders, for consumers that
/// want a configuration file of their own shape (an appsettings fragment, a `.properties` file …).
/// Values are inserted as they are (keys and endpoints hold no quotes or newlines).
public struct SecretTemplate: Sendable, Equatable {
    /// The values a template may name.
    public enum Field: String, Sendable, CaseIterable {
        /// The data-plane endpoint (`https://NAME.communication.azure.com/`).
        case endpoint
        /// The access key.
        case key
        /// The key's name: `key1`, `Primary`, the authorization rule, App Configuration's key id.
        case keyName
        /// The connection string, for types that have one.
        case connectionString
        /// `primary` or `secondary`.
        case keyType
        /// When the file was written, ISO 8601 in UTC.
        case rotatedAt
    }

    private enum Piece: Sendable, Equatable {
        case text(String)
        case field(Field)
    }

    /// Why a template cannot be used.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// For the operator.
        public var description: String
    }

    private let pieces: [Piece]

    /// The fields the template names.
    public var fields: Set<Field> {
        Set(pieces.compactMap { if case .field(let field) = $0 { field } else { nil } })
    }

    /// Parses `text`; every `{{…}}` must name a ``Field``.
    public init(parsing text: String) throws(ParseError) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw ParseError(description: "'{{' without a closing '}}'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingWhitespace()
            guard let field = Field(rawValue: name) else {
                throw ParseError(
                    description:
                        "unknown field '{{\(name)}}'; a template may use \(Field.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: ", "))"
                )
            }
            pieces.append(.field(field))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        guard pieces.contains(where: { $0 == .field(.key) || $0 == .field(.connectionString) }) else {
            throw ParseError(description: "names neither {{key}} nor {{connectionString}}: the file would not carry the key")
        }
        self.pieces = pieces
    }

    /// The file's bytes for `material`, written at `now`.
    public func render(_ material: KeyMaterial, now: Date) -> [UInt8] {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .field(.endpoint): out += material.endpoint
            case .field(.key): out += material.key.exposedValue
            case .field(.keyName): out += material.keyName
            case .field(.connectionString): out += material.connectionString?.exposedValue ?? ""
            case .field(.keyType): out += material.slot.rawValue
            case .field(.rotatedAt): out += now.formatted(.iso8601)
            }
        }
        return Array(out.utf8)
    }
}
