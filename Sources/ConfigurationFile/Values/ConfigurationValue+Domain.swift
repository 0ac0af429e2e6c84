import KeyRotation

extension ResourceID: ConfigurationValue {
    /// An ARM resource id of a type keyrotd rotates.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        switch ResourceID.parse(try value.requireString()) {
        case .success(let id): self = id
        case .failure(let problem): throw ValueProblem(problem.description)
        }
    }
}

extension SecretTemplate: ConfigurationValue {
    /// A template with its placeholders checked.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        do {
            self = try SecretTemplate(parsing: try value.requireString())
        } catch let problem as ValueProblem {
            throw problem
        } catch {
            throw ValueProblem(String(describing: error))
        }
    }
}

extension TimeZoneRules: ConfigurationValue {
    /// An IANA zone from the system's zoneinfo.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        do {
            self = try document.fileSystem.timeZone(named: try value.requireString())
        } catch let problem as ValueProblem {
            throw problem
        } catch {
            throw ValueProblem(String(describing: error))
        }
    }
}
