/// The ARM id of an ACS resource:
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Communication/communicationServices/{name}`.
public struct ResourceID: Sendable, Hashable, CustomStringConvertible {
    /// The subscription id.
    public var subscription: String
    /// The resource group name.
    public var resourceGroup: String
    /// The resource name (1–63 characters of letters, digits, `-` and `_`).
    public var name: String

    /// Creates an id from its parts.
    public init(subscription: String, resourceGroup: String, name: String) {
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.name = name
    }

    /// Parses an ARM id; segment names are matched case-insensitively as ARM does.
    /// Returns `nil` with nothing else said; the configuration check (``parse(_:)``) says why.
    public init?(parsing text: String) {
        guard case .success(let id) = Self.parse(text) else { return nil }
        self = id
    }

    /// Why an id does not parse.
    struct ParseProblem: Error, Sendable, CustomStringConvertible {
        /// For the operator.
        var description: String
    }

    /// The id in `text`, or why it is not an ACS resource id (one pass: `keyrotd check` parses thousands).
    static func parse(_ text: String) -> Result<ResourceID, ParseProblem> {
        let expected = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Communication/communicationServices/{name}"
        // Split on the UTF-8 bytes: '/' is ASCII, and Character-wise splitting is what made this slow.
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(Substring($0)) }
        guard text.hasPrefix("/"), parts.count == 8,
            parts[0].lowercased() == "subscriptions",
            parts[2].lowercased() == "resourcegroups",
            parts[4].lowercased() == "providers",
            parts[5].lowercased() == "microsoft.communication",
            parts[6].lowercased() == "communicationservices"
        else { return .failure(ParseProblem(description: "expected an ACS resource id of the form \(expected)")) }
        if !isValidName(parts[7]) {
            return .failure(ParseProblem(description: "resource name '\(parts[7])' must be 1-63 letters, digits, '-' or '_'"))
        }
        if parts[3].isEmpty || parts[3].count > 90 {
            return .failure(ParseProblem(description: "resource group name must be 1-90 characters"))
        }
        return .success(ResourceID(subscription: parts[1], resourceGroup: parts[3], name: parts[7]))
    }

    /// Whether `name` matches ARM's `^[-\w]+$`, 1–63 characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
    }

    /// The id as ARM prints it.
    public var path: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Communication/communicationServices/\(name)"
    }

    public var description: String { path }
}
