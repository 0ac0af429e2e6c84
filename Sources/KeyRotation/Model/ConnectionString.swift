/// The fields of an Azure connection string, `Name=value;Name=value;` (ACS, Service Bus, Storage,
/// SignalR …). The one reader of that form: the checks on what ARM answers, the endpoint a provider
/// takes from it, and the data-plane client that authenticates with it.
///
/// Names are matched case-insensitively, as the SDKs match them; a value keeps everything after
/// the first `=` (base64 keys end in `=`). Empty parts are skipped: SignalR and Cosmos DB end
/// theirs with `;`.
public struct ConnectionString: Sendable {
    /// Why a text is not a connection string. Names the field, never a value.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// A part without `=`.
        case notNameValue
        /// A field named twice (lowercased).
        case repeated(String)

        public var description: String {
            switch self {
            case .notNameValue: "has a part that is not name=value"
            case .repeated(let name): "names \(name) twice"
            }
        }
    }

    /// The fields in order, names lowercased.
    public let fields: [(name: String, value: String)]

    /// Parses `text`.
    ///
    /// - Throws: ``Problem`` for a part without `=` or a name given twice.
    public init(parsing text: some StringProtocol) throws(Problem) {
        var fields: [(name: String, value: String)] = []
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "=") else { throw .notNameValue }
            let name = part[..<equals].lowercased()
            guard !fields.contains(where: { $0.name == name }) else { throw .repeated(name) }
            fields.append((name, String(part[part.index(after: equals)...])))
        }
        self.fields = fields
    }

    /// The value of the field `name` (any case), if there is one.
    public subscript(name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name == name }?.value
    }
}
