import KeyRotation
import Testing

struct ResourceIDTests {
    /// Every shape of every type parses to its type, whatever the case of the segments, and prints
    /// back in the type's own spelling.
    @Test(arguments: ResourceType.all)
    func everyShapeOfEveryTypeParsesAndPrintsBack(type: ResourceType) throws {
        for shape in type.shapes {
            let names = ["account1"] + shape.dropFirst().indices.map { "child\($0)" }
            let text = "/subscriptions/s1/resourceGroups/rg/providers/\(type.provider)" + zip(shape, names).map { "/\($0)/\($1)" }.joined()
            let id = try #require(ResourceID(parsing: text.uppercased().replacing("ACCOUNT1", with: "account1")), "\(text)")
            #expect(id.type == type)
            #expect(id.shape == shape)
            #expect(id.path.lowercased() == text.lowercased())
            #expect(id.resourceName == "account1")
            #expect(
                id.topPath.lowercased()
                    == "/subscriptions/s1/resourcegroups/rg/providers/\(type.provider.lowercased())/\(shape[0].lowercased())/account1"
            )
        }
    }

    @Test func aChildResourceIsNamedAfterItsWholePath() throws {
        let id = try #require(
            ResourceID(
                parsing: "/subscriptions/s/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/orders-ns/queues/orders/authorizationRules/send"
            )
        )
        #expect(id.type == .serviceBus)
        #expect(id.name == "send")
        #expect(id.resourceName == "orders-ns")
        #expect(id.defaultName == "orders-ns-orders-send")
    }

    @Test(arguments: [
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/orders-ns/authorizationRules",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/orders-ns/subscriptions/x/authorizationRules/r",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/ab",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/app",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/a b",
        "subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/acs",
    ])
    func refusesWhatIsNotAnIdOfASupportedType(text: String) {
        #expect(ResourceID(parsing: text) == nil)
    }
}
