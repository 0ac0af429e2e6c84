/// What a resource's `GET` gave: the endpoint and, for the connection strings keyrotd builds, the
/// further endpoints and the TLS port.
struct ResourceEndpoint: Sendable {
    /// The data-plane endpoint.
    var url: String
    /// The further endpoints by service (`blob`, `queue` …).
    var endpoints: [String: String] = [:]
    /// The TLS port, where the resource names one.
    var port: Int?
}
