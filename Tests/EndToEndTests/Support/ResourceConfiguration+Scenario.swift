import KeyRotation

extension ResourceConfiguration {
    /// The ARM id of a `[[resource]]` a scenario configured. Scenarios' resources are Azure
    /// resources; an `[[application]]` here is a broken test, and stops it.
    var id: ResourceID {
        guard let id = armID else { preconditionFailure("\(name) is an application, not an Azure resource") }
        return id
    }
}
