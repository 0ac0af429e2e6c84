import KeyRotation

/// Followers' names (`confirm_followers`), each a valid name and named once.
struct FollowerNames: ConfigurationValue, Equatable {
    /// The names, in the file's order.
    var names: [String]

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        var names: [String] = []
        for name in try value.requireStrings(else: "must be an array of follower names, such as [\"web-1\", \"web-2\"]") {
            guard FollowConfiguration.isValidName(name) else {
                throw ValueProblem("'\(name)' is not a follower name: 1-64 letters, digits, '-' and '.' (not first)")
            }
            guard !names.contains(where: { $0.lowercased() == name.lowercased() }) else { throw ValueProblem("'\(name)' is named twice") }
            names.append(name)
        }
        self.names = names
    }
}
