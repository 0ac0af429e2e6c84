import KeyRotation

/// Reads one table of the configuration: it knows the table's key path (so every issue's line),
/// parses each declared key as the type its declaration names, records what is wrong, remembers
/// what was read, and at the end reports every other key as unknown (with "did you mean") or as
/// belonging to another variant of the table, from the declarations.
struct TableReader {
    /// The reading this table belongs to.
    let document: ConfigurationDocument
    /// Where the table is (`daemon`, `credential.main`, `resource[2].outputs[0]`).
    let keyPath: String
    /// The table as parsed.
    let table: TOMLTable
    /// Which declarations apply.
    let kind: ConfigurationKey.Table
    /// The variant of the table (a credential's kind, `file` or `key-vault` for an output), which
    /// narrows the declarations that apply to those of that variant; nil: all of the table's.
    var variant: String?
    /// The values of `[defaults]`, which a `[[resource]]` inherits for the keys declared in both.
    private var inherited: [String: any ConfigurationValue] = [:]
    /// What was parsed, by key name: what a `[defaults]` table hands on.
    private(set) var values: [String: any ConfigurationValue] = [:]
    /// The keys read, or otherwise accounted for: an array, since a table has a few keys and a
    /// reading some twenty, and hashing each name cost a tenth of `keyrotd check` at 10,000 resources.
    private var consumed: [String] = []

    /// A reader of `table` at `keyPath`, whose keys are declared in `kind`.
    init(document: ConfigurationDocument, keyPath: String, table: TOMLTable, kind: ConfigurationKey.Table) {
        self.document = document
        self.keyPath = keyPath
        self.table = table
        self.kind = kind
    }

    /// Takes what `defaults` read for the keys declared in both tables that this table does not give.
    mutating func inherit(from defaults: TableReader?) {
        inherited = defaults?.values ?? [:]
    }

    /// The key path of `key` in this table.
    func path(_ key: ConfigurationKey) -> String { "\(keyPath).\(key.name)" }

    /// Whether the table itself gives `key`.
    func contains(_ key: ConfigurationKey) -> Bool { table[key.name] != nil }

    /// `key`'s value (or `[defaults]`' for an inherited key), parsed as its declared type; nil, with
    /// the problem recorded, when it does not parse.
    mutating func read<Value: ConfigurationValue>(_ key: ConfigurationKey, as type: Value.Type = Value.self) -> Value? {
        precondition(
            key.tables.contains(kind) && key.valueType.map(ObjectIdentifier.init) == ObjectIdentifier(Value.self),
            "\(key.name) is not declared in \(kind.rawValue) as \(Value.self)"
        )
        consumed.append(key.name)
        guard let raw = table[key.name] else { return inherited[key.name] as? Value }
        do throws(ValueProblem) {
            return try Value(configuration: raw, key: key, in: document)
        } catch {
            document.error(path(key), error.message)
            return nil
        }
    }

    /// `key`'s value, with "is required" recorded when the table does not give it.
    mutating func required<Value: ConfigurationValue>(_ key: ConfigurationKey, as type: Value.Type = Value.self) -> Value? {
        if !contains(key) {
            consumed.append(key.name)
            document.error(path(key), "is required")
            return nil
        }
        return read(key, as: type)
    }

    /// Parses every key the table gives, as its declared type: for `[defaults]`, whose values are
    /// checked once here and then handed on.
    mutating func readAll() {
        for name in table.keys.sorted() {
            guard let key = ConfigurationSchema.key(name, in: kind), let valueType = key.valueType, let raw = table[name] else { continue }
            consumed.append(name)
            do throws(ValueProblem) {
                values[name] = try valueType.init(configuration: raw, key: key, in: document)
            } catch {
                document.error(path(key), error.message)
            }
        }
    }

    /// Marks a key the reading handled itself (with a message of its own), so that ``finish(misplaced:)``
    /// does not report it again.
    mutating func accept(_ name: String) { consumed.append(name) }

    /// Records an error at `key`.
    func error(_ key: ConfigurationKey, _ message: String) { document.error(path(key), message) }

    /// Records an error at the table itself.
    func error(_ message: String) { document.error(keyPath, message) }

    /// Records a warning at `key`.
    func warning(_ key: ConfigurationKey, _ message: String) { document.warning(path(key), message) }

    /// Whether an error was recorded in this table.
    var hasErrors: Bool { document.hasErrors(at: keyPath) }

    /// Reports every key of the table that was not read: one declared for another variant with
    /// `misplaced`'s message, any other as unknown, with the nearest allowed name.
    func finish(misplaced: (ConfigurationKey) -> String = { _ in "does not apply here" }) {
        let allowed = ConfigurationSchema.names[kind] ?? []
        for name in table.keys.sorted() where !consumed.contains(name) {
            if let key = ConfigurationSchema.key(name, in: kind), let variant, !key.variants.isEmpty, !key.variants.contains(variant) {
                document.error("\(keyPath).\(name)", misplaced(key))
            } else if !allowed.contains(name) {
                document.error("\(keyPath).\(name)", Self.unknown(name, allowed: allowed))
            }
        }
    }

    /// Reports the keys of `table` at `keyPath` (empty: the document) that are not in `allowed`.
    static func rejectUnknown(_ table: TOMLTable, at keyPath: String, allowed: Set<String>, in document: ConfigurationDocument) {
        for name in table.keys.sorted() where !allowed.contains(name) {
            document.error(keyPath.isEmpty ? name : "\(keyPath).\(name)", unknown(name, allowed: allowed))
        }
    }

    /// "unknown key", with the allowed name at most two edits away, or the list of them.
    private static func unknown(_ name: String, allowed: Set<String>) -> String {
        let close = allowed.sorted().first { editDistance($0, name) <= 2 }
        return "unknown key '\(name)'" + (close.map { "; did you mean '\($0)'?" } ?? "; allowed here: \(allowed.sorted().joined(separator: ", "))")
    }

    /// The tables of the array of tables at `name` of this table (`outputs`), each read as `kind`;
    /// `notArray` and `notTable` say how to write them when they are something else.
    func tables(_ name: String, as kind: ConfigurationKey.Table, notArray: String, notTable: String) -> [TableReader] {
        Self.tables(in: table, at: keyPath + ".", name, as: kind, notArray: notArray, notTable: notTable, document: document)
    }

    /// The tables of the array of tables `name` of `table`, whose key path starts with `prefix`.
    static func tables(
        in table: TOMLTable,
        at prefix: String,
        _ name: String,
        as kind: ConfigurationKey.Table,
        notArray: String,
        notTable: String,
        document: ConfigurationDocument
    ) -> [TableReader] {
        guard let value = table[name] else { return [] }
        guard let array = value.array else {
            document.error(prefix + name, notArray)
            return []
        }
        return array.indices.compactMap { i in
            let keyPath = "\(prefix)\(name)[\(i)]"
            guard let element = array[i].table else {
                document.error(keyPath, notTable)
                return nil
            }
            return TableReader(document: document, keyPath: keyPath, table: element, kind: kind)
        }
    }

    /// Levenshtein distance, for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
