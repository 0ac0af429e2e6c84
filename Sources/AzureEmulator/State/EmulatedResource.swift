import FoundationEssentials

/// One ACS resource as the emulator keeps it.
struct EmulatedResource: Sendable {
    /// The subscription id.
    var subscription: String
    /// The resource group.
    var resourceGroup: String
    /// The resource name.
    var name: String
    /// The immutable resource id (in data-plane identity ids).
    var immutableID: String
    /// The current primary key.
    var primaryKey: String
    /// The current secondary key.
    var secondaryKey: String
    /// Monotonic seconds before which each key is still refused by the data plane.
    var primaryValidFrom: Double = 0
    var secondaryValidFrom: Double = 0

    /// The ARM id.
    var id: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Communication/communicationServices/\(name)"
    }

    /// 64 random bytes, base64, like ACS keys.
    static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }
}
