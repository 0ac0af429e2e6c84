/// The ARM id of a resource keyrotd rotates, and the ``ResourceType`` it names:
/// `/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}/{type}/{name}[/{child type}/{child name}…]`.
public struct ResourceID: Sendable, Hashable, CustomStringConvertible {
    /// The id as ARM prints it, the type segments spelled as the type declares them. The one string
    /// an id holds: the configuration, the provider and the state record of each of thousands of
    /// resources share it, where separate parts and a path built on each use cost each resource
    /// hundreds of bytes.
    public let path: String
    /// The resource type's place in ``ResourceType/all``: a whole descriptor in each id cost 1.5 KB
    /// per resource.
    private let typeIndex: UInt8
    /// The shape's place in the type's ``ResourceType/shapes``.
    private let shapeIndex: UInt8

    /// The resource type.
    public var type: ResourceType { ResourceType.all[Int(typeIndex)] }
    /// The type segments of the id, spelled as the type declares them (`namespaces`, `queues`, `authorizationRules`).
    public var shape: [String] { type.shapes[Int(shapeIndex)] }
    /// The subscription id.
    public var subscription: String { component(1) }
    /// The resource group name.
    public var resourceGroup: String { component(3) }
    /// The names after each type segment (`sb1`, `orders`, `send`).
    public var names: [String] {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"))
        return stride(from: 7, to: parts.count, by: 2).map { String(Substring(parts[$0])) }
    }

    /// Creates the id of a resource of a one-segment type (`communicationServices/NAME`).
    public init(subscription: String, resourceGroup: String, name: String, type: ResourceType = .communicationServices) {
        self.init(subscription: subscription, resourceGroup: resourceGroup, type: type, shape: type.shapes[0], names: [name])
    }

    /// Creates an id from its parts; `names` has one name per segment of `shape`, one of the type's shapes.
    public init(subscription: String, resourceGroup: String, type: ResourceType, shape: [String], names: [String]) {
        precondition(shape.count == names.count, "one name per type segment")
        self.typeIndex = UInt8(ResourceType.all.firstIndex(of: type)!)
        self.shapeIndex = UInt8(type.shapes.firstIndex(of: shape)!)
        self.path =
            "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(type.provider)"
            + zip(shape, names).map { "/\($0)/\($1)" }.joined()
    }

    /// The `index`th part of the path between slashes.
    private func component(_ index: Int) -> String {
        String(Substring(path.utf8.split(separator: UInt8(ascii: "/"))[index]))
    }

    /// The last name: the resource itself, or the authorization rule of a namespace-level type.
    /// Read per ARM request for its log line, so it takes the tail after the last slash rather
    /// than splitting the whole path.
    public var name: String {
        let utf8 = path.utf8
        return String(Substring(utf8[utf8.index(after: utf8.lastIndex(of: UInt8(ascii: "/"))!)...]))
    }

    /// The top resource's name (the account, namespace or service), the first label of its host.
    public var resourceName: String { names[0] }

    /// Parses an ARM id; segment names are matched case-insensitively as ARM does.
    /// Returns `nil` with nothing else said; the configuration check (``parse(_:)``) says why.
    public init?(parsing text: String) {
        guard case .success(let id) = Self.parse(text) else { return nil }
        self = id
    }

    /// Why an id does not parse.
    public struct ParseProblem: Error, Sendable, CustomStringConvertible {
        /// For the operator.
        public var description: String
    }

    /// The id in `text`, or why it is not the id of a supported type (one pass: `keyrotd check`
    /// parses thousands).
    public static func parse(_ text: String) -> Result<ResourceID, ParseProblem> {
        // Split on the UTF-8 bytes: '/' is ASCII, and Character-wise splitting is what made this slow.
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { String(Substring($0)) }
        let prefix = "/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider}/{type}/{name}"
        guard text.hasPrefix("/"), parts.count >= 8, parts.count % 2 == 0,
            parts[0].lowercased() == "subscriptions",
            parts[2].lowercased() == "resourcegroups",
            parts[4].lowercased() == "providers"
        else { return .failure(ParseProblem(description: "expected an ARM resource id of the form \(prefix)")) }
        let provider = parts[5].lowercased()
        let segments = stride(from: 6, to: parts.count, by: 2).map { parts[$0].lowercased() }
        let names = stride(from: 7, to: parts.count, by: 2).map { parts[$0] }
        let candidates = ResourceType.all.filter { $0.provider.lowercased() == provider }
        for type in candidates {
            guard let shape = type.shapes.first(where: { $0.map { $0.lowercased() } == segments }) else { continue }
            if let problem = type.nameRule.problem(names[0]) {
                return .failure(ParseProblem(description: "\(type.title) name '\(names[0])' \(problem)"))
            }
            for child in names.dropFirst() where !isValidChildName(child) {
                return .failure(ParseProblem(description: "name '\(child)' must be 1-256 letters, digits, '-', '_' or '.'"))
            }
            if parts[3].isEmpty || parts[3].count > 90 {
                return .failure(ParseProblem(description: "resource group name must be 1-90 characters"))
            }
            return .success(ResourceID(subscription: parts[1], resourceGroup: parts[3], type: type, shape: shape, names: names))
        }
        if candidates.isEmpty {
            let supported = ResourceType.all.flatMap { type in type.shapes.map { type.armType($0) } }
            return .failure(
                ParseProblem(
                    description: "'\(parts[5])/\(parts[6])' is not a resource type keyrotd rotates; it rotates \(supported.joined(separator: ", "))"
                )
            )
        }
        let expected = candidates.flatMap { type in
            type.shapes.map { shape in
                "/subscriptions/{subscription}/resourceGroups/{group}/providers/\(type.provider)"
                    + shape.map { "/\($0)/{\(Self.placeholder($0))}" }.joined()
            }
        }
        return .failure(ParseProblem(description: "expected \(expected.joined(separator: " or "))"))
    }

    /// `{namespace}` for `namespaces`, `{rule}` for `authorizationRules`.
    private static func placeholder(_ segment: String) -> String {
        switch segment {
        case "authorizationRules": return "rule"
        case "namespaces": return "namespace"
        case "eventhubs": return "eventhub"
        default: return segment.hasSuffix("s") ? String(segment.dropLast()) : "name"
        }
    }

    /// Whether `name` matches ARM's `^[-\w]+$`, 1–63 characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
    }

    /// Whether `name` may name a queue, topic, hub or authorization rule.
    private static func isValidChildName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 256
            && name.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" || $0 == "."
            }
    }

    /// The id of the top resource (the account, namespace or service), whose properties hold the endpoint.
    public var topPath: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(type.provider)/\(shape[0])/\(names[0])"
    }

    /// The name keyrotd gives the resource when the configuration names none: the ARM name, or
    /// the names joined with `-` for a child (`sb1-orders-send`).
    public var defaultName: String { names.joined(separator: "-") }

    public var description: String { path }
}
