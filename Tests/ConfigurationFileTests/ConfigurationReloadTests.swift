import Foundation
import KeyRotation
import Testing

@testable import ConfigurationFile

/// A reload never says "reloaded" while ignoring a change: for every declared key, a file that
/// changes only that key either loads into a different configuration (which the daemon's reload
/// compares to rebuild what changed) or, for a key declared restart-only, is what
/// `ConfigurationSchema.restartRequired` names. `ReloadEndToEndTests` sends the `[daemon]` ones to
/// a running daemon.
struct ConfigurationReloadTests {
    /// A change of one key: `line` added at the `marker` of ``base``, or replacing `replacing`.
    struct Change: Sendable, CustomTestStringConvertible {
        var key: String
        var table: ConfigurationKey.Table
        var marker: String
        var line: String
        var replacing: String?
        var testDescription: String { "\(table.rawValue) \(key)" }

        init(_ key: String, _ table: ConfigurationKey.Table, at marker: String, _ line: String, replacing: String? = nil) {
            self.key = key
            self.table = table
            self.marker = marker
            self.line = line
            self.replacing = replacing
        }
    }

    static let id =
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.AppConfiguration/configurationStores/appcs-1"

    /// Every kind of table, each with a marker line where a change adds its key.
    static let base = """
        [daemon]
        secrets_dir = "secrets"
        state_dir = "state"
        on_publish = ["/usr/bin/true"]
        request_timeout = "20s"
        #daemon
        [credential.main]
        tenant = "t"
        client_id = "c"
        client_secret_file = "SECRET"
        #main
        [credential.cert]
        tenant = "t"
        client_id = "c"
        certificate_file = "CERT"
        #cert
        [credential.mi]
        kind = "managed-identity"
        #mi
        [credential.wi]
        kind = "workload-identity"
        #wi
        [defaults]
        credential = "main"
        window = ["Mon-Sun 00:00-23:00"]
        #defaults
        [[resource]]
        id = "\(id)"
        grace = "1d"
        #resource
        [[resource.outputs]]
        file = "extra.conn"
        #file
        [[resource.outputs]]
        key_vault = "https://kv.vault.azure.net"
        secret = "app"
        #vault
        [[application]]
        name = "billing-app"
        client_id = "00000000-0000-4000-8000-0000000000a1"
        #application
        [[follow]]
        name = "web-1"
        credential="main"
        key_vault = "https://kv.vault.azure.net/"
        secret = "other"
        file = "app.conn"
        #follow
        """

    /// The `[ha]` table, for the changes of its keys.
    static let group = """
        [ha]
        journal = "https://acct.blob.core.windows.net/keyrotd"
        credential = 'main'
        node = "node-1"
        #ha
        """

    /// What a change of a key of `table` starts from: ``base``, and for the group's keys ``group``
    /// with it, where a resource delivers one file on each node.
    static func base(for table: ConfigurationKey.Table) -> String {
        guard table == .ha else { return base }
        // An application too would need a Key Vault output to be delivered in a group.
        let application = "[[application]]\nname = \"billing-app\"\nclient_id = \"00000000-0000-4000-8000-0000000000a1\"\n#application\n"
        return base.replacingOccurrences(of: "[[resource.outputs]]\nfile = \"extra.conn\"\n#file\n", with: "")
            .replacingOccurrences(of: application, with: "") + "\n" + group
    }

    static let changes: [Change] = [
        Change("secrets_dir", .daemon, at: "", "secrets_dir = \"secrets-2\"", replacing: "secrets_dir = \"secrets\""),
        Change("state_dir", .daemon, at: "", "state_dir = \"state-2\"", replacing: "state_dir = \"state\""),
        Change("concurrency", .daemon, at: "#daemon", "concurrency = 3"),
        Change("tls_ca_file", .daemon, at: "#daemon", "tls_ca_file = \"SECRET\""),
        Change("retry_initial", .daemon, at: "#daemon", "retry_initial = \"10s\""),
        Change("retry_max", .daemon, at: "#daemon", "retry_max = \"2h\""),
        Change("request_timeout", .daemon, at: "", "request_timeout = \"25s\"", replacing: "request_timeout = \"20s\""),
        Change("log_level", .daemon, at: "#daemon", "log_level = \"debug\""),
        Change("arm_write_burst", .daemon, at: "#daemon", "arm_write_burst = 50"),
        Change("arm_writes_per_second", .daemon, at: "#daemon", "arm_writes_per_second = 2.5"),
        Change("runtime_dir", .daemon, at: "#daemon", "runtime_dir = \"run-2\""),
        Change("metrics_file", .daemon, at: "#daemon", "metrics_file = \"keyrotd.prom\""),
        Change("application_watch_interval", .daemon, at: "#daemon", "application_watch_interval = \"10m\""),
        Change("credentials_dir", .daemon, at: "#daemon", "credentials_dir = \"credentials-2\""),
        Change("on_publish", .daemon, at: "", "on_publish = [\"/usr/bin/true\", \"again\"]", replacing: "on_publish = [\"/usr/bin/true\"]"),
        Change("hook_timeout", .daemon, at: "#daemon", "hook_timeout = \"10s\""),
        Change("kind", .credential, at: "", "kind = \"auto\"", replacing: "kind = \"managed-identity\""),
        Change("cloud", .credential, at: "#mi", "cloud = \"AzureUSGovernment\""),
        Change("authority", .credential, at: "#main", "authority = \"https://login.example.com\""),
        Change("arm_endpoint", .credential, at: "#main", "arm_endpoint = \"https://arm.example.com\""),
        Change("scope", .credential, at: "#main", "scope = \"https://arm.example.com/.default\""),
        Change("graph_endpoint", .credential, at: "#main", "graph_endpoint = \"https://graph.example.com\""),
        Change("tenant", .credential, at: "#wi", "tenant = \"t2\""),
        Change("client_id", .credential, at: "#wi", "client_id = \"c2\""),
        Change("client_secret_file", .credential, at: "", "client_secret_file = \"SECRET2\"", replacing: "client_secret_file = \"SECRET\""),
        Change("certificate_file", .credential, at: "", "certificate_file = \"CERT2\"", replacing: "certificate_file = \"CERT\""),
        Change("private_key_file", .credential, at: "#cert", "private_key_file = \"SECRET\""),
        Change("assertion_algorithm", .credential, at: "#cert", "assertion_algorithm = \"RS256\""),
        Change("object_id", .credential, at: "#mi", "object_id = \"o\""),
        Change("resource_id", .credential, at: "#mi", "resource_id = \"/subscriptions/s/resourceGroups/rg/providers/x/y/z\""),
        Change("token_file", .credential, at: "#wi", "token_file = \"SECRET\""),
        Change("id", .resource, at: "", "id = \"\(id)2\"", replacing: "id = \"\(id)\""),
        Change("name", .resource, at: "#resource", "name = \"renamed\""),
        Change("credential", .defaults, at: "", "credential = \"cert\"", replacing: "credential = \"main\""),
        Change("api_version", .resource, at: "#resource", "api_version = \"2023-03-01\""),
        Change("key_pair", .resource, at: "#resource", "key_pair = \"read-only\""),
        Change("endpoint", .resource, at: "#resource", "endpoint = \"https://appcs-1.example.com\""),
        Change("strategy", .defaults, at: "#defaults", "strategy = \"alternate\""),
        Change("every", .defaults, at: "#defaults", "every = \"20d\""),
        Change("grace", .defaults, at: "", "grace = \"2d\"", replacing: "grace = \"1d\""),
        Change("jitter", .defaults, at: "#defaults", "jitter = \"1m\""),
        Change("output", .resource, at: "#resource", "output = \"renamed.conn\""),
        Change("format", .defaults, at: "#defaults", "format = \"json\""),
        Change("env_name", .defaults, at: "#defaults", "env_name = \"APP_CONFIGURATION\""),
        Change("template", .resource, at: "#resource", "template = \"{{key}}\""),
        Change("mode", .defaults, at: "#defaults", "mode = \"0600\""),
        Change("group", .defaults, at: "#defaults", "group = \"root\""),
        Change("verify", .defaults, at: "#defaults", "verify = true"),
        Change("window", .defaults, at: "", "window = [\"Mon-Fri 09:00-17:00\"]", replacing: "window = [\"Mon-Sun 00:00-23:00\"]"),
        Change("timezone", .defaults, at: "#defaults", "timezone = \"UTC\""),
        Change("confirm_ack_files", .resource, at: "#resource", "confirm_ack_files = [\"ack\"]"),
        Change("confirm_command", .resource, at: "#resource", "confirm_command = [\"/usr/bin/true\"]"),
        Change("confirm_timeout", .resource, at: "#resource", "confirm_timeout = \"2h\""),
        Change("confirm_followers", .resource, at: "#resource", "confirm_followers = [\"web-1\"]"),
        Change("outputs", .resource, at: "#vault", "[[resource.outputs]]\nfile = \"third.conn\""),
        Change("file", .output, at: "", "file = \"extra-2.conn\"", replacing: "file = \"extra.conn\""),
        Change("key_vault", .output, at: "", "key_vault = \"https://kv2.vault.azure.net\"", replacing: "key_vault = \"https://kv.vault.azure.net\""),
        Change("secret", .output, at: "", "secret = \"app-2\"", replacing: "secret = \"app\""),
        Change("content_type", .output, at: "#vault", "content_type = \"text/plain\""),
        Change("tags", .output, at: "#vault", "tags = { team = \"payments\" }"),
        Change("expires_after", .output, at: "#vault", "expires_after = \"40d\""),
        Change("consumer_refresh", .output, at: "#vault", "consumer_refresh = \"12h\""),
        Change(
            "client_id",
            .application,
            at: "",
            "client_id = \"00000000-0000-4000-8000-0000000000a2\"",
            replacing: "client_id = \"00000000-0000-4000-8000-0000000000a1\""
        ),
        Change(
            "object_id",
            .application,
            at: "",
            "object_id = \"00000000-0000-4000-8000-0000000000b1\"",
            replacing: "client_id = \"00000000-0000-4000-8000-0000000000a1\""
        ),
        Change("tenant", .application, at: "#application", "tenant = \"contoso.onmicrosoft.com\""),
        Change("rotate", .application, at: "#application", "rotate = false"),
        Change("lifetime", .application, at: "#application", "lifetime = \"120d\""),
        Change("expiry_warning", .application, at: "#application", "expiry_warning = \"20d\""),
        Change("settle", .application, at: "#application", "settle = \"1m\""),
        Change("make_room", .application, at: "#application", "make_room = true"),
        Change("certificate", .application, at: "#application", "certificate = true"),
        Change("proof_file", .application, at: "#application", "certificate = true\nproof_file = \"SECRET\""),
        Change("own_secret", .application, at: "", "own_secret = true", replacing: "client_id = \"00000000-0000-4000-8000-0000000000a1\""),
        Change("name", .follow, at: "", "name = \"web-2\"", replacing: "name = \"web-1\""),
        Change("credential", .follow, at: "", "credential=\"cert\"", replacing: "credential=\"main\""),
        Change(
            "key_vault",
            .follow,
            at: "",
            "key_vault = \"https://kv3.vault.azure.net/\"",
            replacing: "key_vault = \"https://kv.vault.azure.net/\""
        ),
        Change("secret", .follow, at: "", "secret = \"other-2\"", replacing: "secret = \"other\""),
        Change("file", .follow, at: "", "file = \"app-2.conn\"", replacing: "file = \"app.conn\""),
        Change("format", .follow, at: "#follow", "format = \"json\""),
        Change("interval", .follow, at: "#follow", "interval = \"1m\""),
        Change("confirm", .follow, at: "#follow", "confirm = false"),
        Change(
            "journal",
            .ha,
            at: "",
            "journal = \"https://acct.blob.core.windows.net/keyrotd-2\"",
            replacing: "journal = \"https://acct.blob.core.windows.net/keyrotd\""
        ),
        Change("credential", .ha, at: "", "credential = 'cert'", replacing: "credential = 'main'"),
        Change("node", .ha, at: "", "node = \"node-2\"", replacing: "node = \"node-1\""),
        Change("lease_duration", .ha, at: "#ha", "lease_duration = \"45s\""),
    ]

    @Test(arguments: ConfigurationSchema.keys)
    func everyKeyChangesTheConfigurationOrNeedsARestart(_ key: ConfigurationKey) throws {
        let table = try #require(key.tables.first)
        let change = try #require(Self.changes.first { $0.key == key.name && $0.table == table }, "no change of \(table.rawValue) \(key.name) here")
        let dir = try ConfigurationLoaderTests.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let loader = ConfigurationLoader(environment: [:])
        let base = Self.base(for: table)
        let (running, _) = try loader.load(path: try Self.write(base, in: dir))
        var changed = base
        if let old = change.replacing {
            #expect(changed.components(separatedBy: old).count == 2, "'\(old)' is not written exactly once")
            changed = changed.replacingOccurrences(of: old, with: change.line)
        } else {
            changed = changed.replacingOccurrences(of: change.marker, with: change.marker + "\n" + change.line)
        }
        let next: Configuration
        do {
            next = try loader.load(path: try Self.write(changed, in: dir)).0
        } catch {
            Issue.record("the changed file does not load: \(error)")
            return
        }
        let waiting = ConfigurationSchema.restartRequired(from: running.daemon, to: next.daemon)
        if key.reload == .live {
            #expect(waiting.isEmpty)
            let unchanged = running == next
            #expect(!unchanged, "\(key.name) was read but changes nothing a reload compares")
        } else {
            #expect(waiting.map(\.name) == [key.name])
        }
    }

    /// ``base`` in `dir`, its secret and certificate placeholders replaced by files of mode 0600.
    static func write(_ toml: String, in dir: String) throws -> String {
        for name in ["secret-2", "cert", "cert-2"] {
            _ = FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data("x".utf8), attributes: [.posixPermissions: 0o600])
        }
        let resolved = toml.replacingOccurrences(of: "\"SECRET2\"", with: "\"\(dir)/secret-2\"")
            .replacingOccurrences(of: "\"CERT2\"", with: "\"\(dir)/cert-2\"").replacingOccurrences(of: "\"CERT\"", with: "\"\(dir)/cert\"")
        return try ConfigurationLoaderTests.write(resolved, in: dir)
    }
}

extension ConfigurationKey: CustomTestStringConvertible {
    public var testDescription: String { "\(tables.first?.rawValue ?? "") \(name)" }
}
