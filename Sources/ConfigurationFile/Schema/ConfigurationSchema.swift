import KeyRotation

/// Every key of `keyrotd.toml`. Each is declared beside the code that reads its table
/// (`DaemonSettings+Reading.swift`, `ResourceConfiguration+Reading.swift` …); this puts them
/// together for the reading's checks, the reload's comparison and the documentation.
public enum ConfigurationSchema {
    /// Every key, in the order the documentation lists them.
    public static let keys: [ConfigurationKey] =
        daemonKeys + credentialKeys + resourceKeys + applicationKeys + fileOutputKeys + vaultOutputKeys + followKeys + haKeys

    /// The names `table` allows, computed once: the reading asks for every table of the file.
    public static let names: [ConfigurationKey.Table: Set<String>] = byTable.mapValues { Set($0.keys) }

    /// The declaration of `name` in `table`, if it has one.
    public static func key(_ name: String, in table: ConfigurationKey.Table) -> ConfigurationKey? {
        byTable[table]?[name]
    }

    /// The keys `table` allows, in the documentation's order.
    public static func keys(in table: ConfigurationKey.Table) -> [ConfigurationKey] {
        keys.filter { $0.tables.contains(table) }
    }

    /// The `[daemon]` keys a reload cannot apply whose value differs between `running` and `next`.
    public static func restartRequired(from running: DaemonSettings, to next: DaemonSettings) -> [ConfigurationKey] {
        keys.filter { key in
            guard case .restart(let field) = key.reload else { return false }
            return running[keyPath: field] as? AnyHashable != next[keyPath: field] as? AnyHashable
        }
    }

    private static let byTable: [ConfigurationKey.Table: [String: ConfigurationKey]] = Dictionary(
        uniqueKeysWithValues: ConfigurationKey.Table.allCases.map { table in
            // A name declared twice for a table keeps its first declaration; ConfigurationSchemaTests refuses it.
            (table, Dictionary(keys(in: table).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }))
        }
    )
}
