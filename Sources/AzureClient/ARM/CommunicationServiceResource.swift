/// The parts of `CommunicationServiceResource` keyrotd reads.
public struct CommunicationServiceResource: Sendable, Decodable {
    /// The resource's properties.
    public struct Properties: Sendable, Decodable {
        /// `Succeeded`, `Running`, `Failed` …
        public var provisioningState: String?
        /// The data-plane host name.
        public var hostName: String?
        /// When true, access keys cannot be used at all.
        public var disableLocalAuth: Bool?
    }

    /// The ARM id.
    public var id: String?
    /// The resource name.
    public var name: String?
    /// The resource type.
    public var type: String?
    /// The location.
    public var location: String?
    /// The properties.
    public var properties: Properties?
}
