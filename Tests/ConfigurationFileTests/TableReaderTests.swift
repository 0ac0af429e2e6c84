import KeyRotation
import Logging
import Testing

@testable import ConfigurationFile

/// The scoped reader, through whole files read against a fake host: unknown and misplaced keys
/// reported from the declarations, `[defaults]` inherited and checked once, and every host check
/// (files, modes, programs, groups, zones) answered by the port, not by this machine.
struct TableReaderTests {
    static let id =
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-"

    /// A host with the client secret (0600), a secret readable by others, an executable hook, a
    /// group and a zone, none of which exists on this machine.
    static let host = FakeFileSystem(
        files: [
            "/etc/fake/secret": FileStatus(kind: .regular, mode: 0o600),
            "/etc/fake/open-secret": FileStatus(kind: .regular, mode: 0o644),
            "/opt/fake/hook": FileStatus(kind: .regular, mode: 0o755),
            "/opt/fake/not-a-program": FileStatus(kind: .regular, mode: 0o644),
        ],
        links: ["/etc/fake/dangling": "/nowhere"],
        groups: ["fake-readers"],
        zones: ["Fake/Zone": .utc]
    )

    /// `daemon`, a credential whose secret file is `secret`, `defaults` and two resources, each with `resource`.
    static func document(daemon: String = "", secret: String = "/etc/fake/secret", defaults: String = "", resource: String = "") -> String {
        """
        [daemon]
        secrets_dir = "/var/fake/secrets"
        \(daemon)
        [credential.main]
        tenant = "t"
        client_id = "c"
        client_secret_file = "\(secret)"
        [defaults]
        \(defaults)
        [[resource]]
        id = "\(id)1"
        \(resource)
        [[resource]]
        id = "\(id)2"
        \(resource)
        """
    }

    /// The errors of reading `source` against ``host`` as `/etc/fake/keyrotd.toml`, each `key: message`.
    static func errors(_ source: String) -> [String] {
        do {
            _ = try ConfigurationLoader(environment: [:], fileSystem: host).load(source: source, path: "/etc/fake/keyrotd.toml")
            return []
        } catch {
            return error.issues.filter { $0.severity == .error }.map { "\($0.key): \($0.message)" }
        }
    }

    @Test func readsAgainstTheHostItIsGivenNotThisMachine() throws {
        let source = Self.document(
            daemon: "on_publish = [\"/opt/fake/hook\"]\nlog_level = \"DEBUG\"",
            defaults: "group = \"fake-readers\"\ntimezone = \"Fake/Zone\"\nwindow = [\"Mon-Fri 09:00-17:00\"]"
        )
        let (configuration, warnings) = try ConfigurationLoader(environment: [:], fileSystem: Self.host).load(
            source: source,
            path: "/etc/fake/keyrotd.toml"
        )
        #expect(warnings.isEmpty)
        #expect(configuration.daemon.logLevel == .debug, "a choice is read in any case")
        #expect(configuration.daemon.onPublish?.argv == ["/opt/fake/hook"])
        #expect(configuration.resources.map(\.group) == ["fake-readers", "fake-readers"])
        #expect(configuration.resources.allSatisfy { $0.windows?.zone.name == "UTC" })

        #expect(Self.errors(Self.document(secret: "/etc/fake/open-secret")).contains { $0.contains("is readable by others (mode 0644)") })
        #expect(Self.errors(Self.document(secret: "/etc/fake/missing")).contains { $0.contains("'/etc/fake/missing' does not exist") })
        #expect(Self.errors(Self.document(secret: "/etc/fake/dangling")).contains { $0.contains("is a dangling symbolic link") })
        #expect(
            Self.errors(Self.document(daemon: "on_publish = [\"/opt/fake/not-a-program\"]"))
                == ["daemon.on_publish: '/opt/fake/not-a-program' is not an executable file"]
        )
        #expect(
            Self.errors(Self.document(defaults: "timezone = \"Europe/Berlin\"")) == [
                "defaults.timezone: no time zone 'Europe/Berlin' in the fake zoneinfo"
            ]
        )
    }

    /// `[defaults]` values are checked once, where they are written, however many resources inherit
    /// them; a resource's own value wins; an inherited value is what the resource gets.
    @Test func inheritsFromDefaultsAndReportsTheirProblemsOnce() throws {
        #expect(
            Self.errors(Self.document(defaults: "group = \"nobody-here\"")) == ["defaults.group: group 'nobody-here' does not exist on this machine"]
        )
        let source = Self.document(defaults: "every = \"7d\"\nmode = \"0600\"", resource: "grace = \"2h\"")
            .replacingOccurrences(of: "id = \"\(Self.id)2\"\ngrace = \"2h\"", with: "id = \"\(Self.id)2\"\nevery = \"14d\"")
        let (configuration, _) = try ConfigurationLoader(environment: [:], fileSystem: Self.host).load(source: source, path: "/etc/fake/keyrotd.toml")
        let resources = configuration.resources
        #expect(resources.map(\.every) == [.seconds(7 * 86_400), .seconds(14 * 86_400)])
        #expect(resources.map(\.grace) == [.seconds(7200), ResourceConfiguration.Defaults.grace])
        #expect(resources.map(\.mode) == [0o600, 0o600])
    }

    /// A key no table declares is unknown (with the nearest name, or the list); one declared for
    /// another variant of the table says which it belongs to; a key the reading handles itself is
    /// reported once, by it.
    @Test func reportsUnknownAndMisplacedKeysFromTheDeclarations() {
        #expect(
            Self.errors(Self.document(daemon: "log_levle = \"info\"")) == ["daemon.log_levle: unknown key 'log_levle'; did you mean 'log_level'?"]
        )
        let allowed = ConfigurationSchema.names[.daemon]!.sorted().joined(separator: ", ")
        #expect(Self.errors(Self.document(daemon: "colour = \"blue\"")) == ["daemon.colour: unknown key 'colour'; allowed here: \(allowed)"])
        let managed = Self.document().replacingOccurrences(of: "tenant = \"t\"\n", with: "kind = \"managed-identity\"\ntenant = \"t\"\n")
            .replacingOccurrences(of: "client_id = \"c\"\n", with: "").replacingOccurrences(of: "client_secret_file", with: "object_id")
        #expect(
            Self.errors(managed) == [
                "credential.main.tenant: applies only to kind = 'service-principal' or 'workload-identity', not 'managed-identity'"
            ]
        )
        let vault = "\n[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nmode = \"0600\"\n"
        #expect(
            Self.errors(Self.document(resource: "grace = \"1d\"") + vault) == [
                "resource[1].outputs[0].mode: a Key Vault output has no mode; give file or key_vault, not both"
            ]
        )
        let file = "\n[[resource.outputs]]\nfile = \"extra.conn\"\ncontent_type = \"text/plain\"\n"
        #expect(Self.errors(Self.document() + file) == ["resource[1].outputs[0].content_type: applies only to a Key Vault output (key_vault = …)"])
        let secret = Self.document().replacingOccurrences(of: "client_id = \"c\"\n", with: "client_id = \"c\"\nclient_secret = \"s3cr3t\"\n")
        #expect(
            Self.errors(secret) == [
                "credential.main.client_secret: secrets never go in the configuration file; put it in a file and name it with client_secret_file"
            ]
        )
    }

    /// A resource or follower that names no credential takes the file's only one; with none or
    /// several, it says so, and where to name one.
    @Test func aTableWithoutACredentialTakesTheOnlyOneOrSaysWhatToDo() {
        let follow = "\n[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\"\n"
        let second = "[credential.other]\nkind = \"managed-identity\"\n[defaults]"
        #expect(
            Self.errors(Self.document().replacingOccurrences(of: "[defaults]", with: second) + follow) == [
                "resource[0].credential: several credentials exist; name one here or in [defaults]",
                "resource[1].credential: several credentials exist; name one here or in [defaults]",
                "follow[0].credential: several credentials exist; name one",
            ]
        )
        let none = Self.document().components(separatedBy: "[credential.main]")[0] + "[defaults]\n[[resource]]\nid = \"\(Self.id)1\"\n" + follow
        #expect(
            Self.errors(none) == [
                "resource[0].credential: no credential: add a [credential.NAME] table",
                "follow[0].credential: no credential: add a [credential.NAME] table",
            ]
        )
    }

    /// Every value type says what is wrong, in the words the operator reads.
    @Test(arguments: [
        (
            "daemon", "log_level = \"warnng\"",
            "daemon.log_level: unknown log_level 'warnng'; use trace, debug, info, notice, warning, error or critical; did you mean 'warning'?"
        ),
        ("daemon", "concurrency = 0", "daemon.concurrency: must be between 1 and 1024 (got 0)"),
        ("daemon", "arm_writes_per_second = \"fast\"", "daemon.arm_writes_per_second: must be a number, not string"),
        ("daemon", "request_timeout = \"2d\"", "daemon.request_timeout: must be between 100ms and 1d (got 2d)"),
        ("daemon", "state_dir = \"${STATE\"", "daemon.state_dir: unterminated ${ in '${STATE'"),
        ("defaults", "mode = \"0644\"", "defaults.mode: 0644 lets every user read the key; use 0600 or 0640 with a readers group"),
        ("defaults", "mode = \"0740\"", "defaults.mode: 0740 makes a secret executable; use 0600 or 0640"),
        ("defaults", "env_name = \"1X\"", "defaults.env_name: '1X' is not a valid environment variable name"),
        ("defaults", "verify = \"yes\"", "defaults.verify: must be true or false, not string"),
        ("defaults", "window = \"Mon\"", "defaults.window: must be an array of strings such as [\"Mon-Fri 09:00-17:00\"]"),
        ("defaults", "credential = \"other\"", "defaults.credential: no [credential.other] table; defined: main"),
    ])
    func valuesSayWhatIsWrong(table: String, line: String, expected: String) {
        let source =
            table == "daemon" ? Self.document(daemon: line) : Self.document(defaults: line)
        #expect(Self.errors(source) == [expected])
    }
}
