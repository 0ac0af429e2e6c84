/// An array of paths, each expanded as a ``ConfigurationPath``.
struct PathList: ConfigurationValue, Equatable {
    /// The expanded paths, in the file's order.
    var paths: [String]

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        var paths: [String] = []
        for raw in try value.requireStrings(else: "must be an array of file paths") {
            paths.append(try ConfigurationPath(expanding: raw, in: document).string)
        }
        self.paths = paths
    }
}
