import Foundation

/// One ACS resource as the emulator keeps it.
struct EmulatedResource: Sendable {
    var subscription: String
    var resourceGroup: String
    var name: String
    var immutableID: String
    var primaryKey: String
    var secondaryKey: String
    /// Monotonic seconds before which each key is still refused by the data plane.
    var primaryValidFrom: Double = 0
    var secondaryValidFrom: Double = 0

    var id: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Communication/communicationServices/\(name)"
    }

    static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
    }
}
