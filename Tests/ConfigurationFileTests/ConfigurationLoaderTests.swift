import Foundation
import Glibc
import KeyRotation
import Testing

@testable import ConfigurationFile

/// The loader (what `keyrotd check` and the daemon run) against broken configurations, in process:
/// each must name the right file, line and key. `CheckCommandTests` runs a few through the binary.
struct ConfigurationLoaderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var toml: String
        var line: Int
        var key: String
        var message: String
        var testDescription: String { name }
    }

    static let id =
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-001"
    static let id2 =
        "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs-002"

    /// A valid document; line numbers below count from its first line.
    static func valid(daemon: String = "", credential: String = "", defaults: String = "", resource: String = "", more: String = "") -> String {
        """
        [daemon]
        secrets_dir = "secrets"
        state_dir = "state"
        \(daemon)
        [credential.main]
        tenant = "t"
        client_id = "c"
        client_secret_file = "SECRET"
        \(credential)
        [defaults]
        every = "30d"
        \(defaults)
        [[resource]]
        id = "\(id)"
        \(resource)
        \(more)
        """
    }

    /// A group's table, for the cases of group members.
    static let group = "[ha]\njournal = \"https://acct.blob.core.windows.net/keyrotd\""

    static let cases: [Case] = [
        Case(
            name: "an own secret with outputs",
            toml: valid(more: "[[application]]\nname = \"self\"\nown_secret = true\nformat = \"env\""),
            line: 19,
            key: "application[0].format",
            message: "own_secret writes credentials_dir/main.secret (mode 0600) and nothing else"
        ),
        Case(
            name: "an own secret of a credential without a secret",
            toml: valid(
                credential: "[credential.vm]\nkind = \"managed-identity\"",
                more: "[[application]]\nname = \"self\"\ncredential = \"vm\"\nown_secret = true"
            ),
            line: 20,
            key: "application[0].own_secret",
            message: "credential vm signs in without a client secret file"
        ),
        Case(
            name: "an application named twice",
            toml: valid(
                more:
                    "[[application]]\nname = \"billing\"\nclient_id = \"00000000-0000-4000-8000-0000000000a1\"\nobject_id = \"00000000-0000-4000-8000-0000000000b1\""
            ),
            line: 19,
            key: "application[0].object_id",
            message: "name the application once: client_id or object_id"
        ),
        Case(
            name: "an application named by neither id",
            toml: valid(more: "[[application]]\nname = \"billing\""),
            line: 16,
            key: "application[0]",
            message: "names no application: set client_id"
        ),
        Case(
            name: "an application id that is no GUID",
            toml: valid(more: "[[application]]\nname = \"billing\"\nclient_id = \"billing-api\""),
            line: 18,
            key: "application[0].client_id",
            message: "is not a GUID"
        ),
        Case(
            name: "a secret lifetime its rotation does not fit in",
            toml: valid(more: "[[application]]\nname = \"billing\"\nclient_id = \"00000000-0000-4000-8000-0000000000a1\"\nlifetime = \"20d\""),
            line: 19,
            key: "application[0].lifetime",
            message: "must be at least every + grace + 7 days (37d1h)"
        ),
        Case(
            name: "an ARM key in an application",
            toml: valid(more: "[[application]]\nname = \"billing\"\nclient_id = \"00000000-0000-4000-8000-0000000000a1\"\nkey_pair = \"read-only\""),
            line: 19,
            key: "application[0].key_pair",
            message: "unknown key 'key_pair'"
        ),
        Case(
            name: "an application whose credential names no tenant",
            toml: valid(
                credential: "[credential.vm]\nkind = \"managed-identity\"",
                more: "[[application]]\nname = \"billing\"\ncredential = \"vm\"\nclient_id = \"00000000-0000-4000-8000-0000000000a1\""
            ),
            line: 17,
            key: "application[0]",
            message: "credential vm names no tenant: set tenant"
        ),
        Case(
            name: "a group member without a Key Vault output",
            toml: valid(more: "[ha]\njournal = \"https://acct.blob.core.windows.net/keyrotd\""),
            line: 13,
            key: "resource[0]",
            message: "'acs-001' has no Key Vault output: in a high-availability group"
        ),
        Case(
            name: "a group member whose vault holds a layout its file cannot be made from",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"30m\"\nformat = \"env\"\n\(group)"
            ),
            line: 17,
            key: "resource[0].outputs[0].key_vault",
            message: "each node writes 'acs-001.conn' from this Key Vault output, which holds another layout than the file"
        ),
        Case(
            name: "a group member with a second file",
            toml: valid(
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"30m\"\n"
                    + "[[resource.outputs]]\nfile = \"extra.conn\"\n\(group)"
            ),
            line: 21,
            key: "resource[0].outputs[1].file",
            message: "a resource delivers one file on each node"
        ),
        Case(
            name: "a follower named like a resource in a group",
            toml: valid(
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"30m\"\n"
                    + "[[follow]]\nname = \"acs-001\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"other\"\nfile = \"other.conn\"\n\(group)"
            ),
            line: 21,
            key: "follow[0].name",
            message: "'acs-001' is the name of a resource, whose own follower delivers its file on each node"
        ),
        Case(
            name: "a group journal without a container",
            toml: valid(more: "[ha]\njournal = \"https://acct.blob.core.windows.net/\""),
            line: 17,
            key: "ha.journal",
            message: "must name a container"
        ),
        Case(
            name: "a group journal over plain http",
            toml: valid(more: "[ha]\njournal = \"http://acct.blob.core.windows.net/keyrotd\""),
            line: 17,
            key: "ha.journal",
            message: "plain http is allowed only to a loopback address"
        ),
        Case(
            name: "a node name with a space",
            toml: valid(more: "[ha]\njournal = \"https://acct.blob.core.windows.net/keyrotd\"\nnode = \"web 1\""),
            line: 18,
            key: "ha.node",
            message: "must be 1-63 letters, digits"
        ),
        Case(
            name: "a lease Blob Storage refuses",
            toml: valid(more: "[ha]\njournal = \"https://acct.blob.core.windows.net/keyrotd\"\nlease_duration = \"90s\""),
            line: 18,
            key: "ha.lease_duration",
            message: "90s"
        ),
        Case(name: "syntax error", toml: "[daemon]\nsecrets_dir = \n", line: 2, key: "", message: "TOML syntax error"),
        Case(
            name: "unknown top-level table",
            toml: valid() + "\n[deamon]\nx = 1\n",
            line: 17,
            key: "deamon",
            message: "unknown key 'deamon'; did you mean 'daemon'?"
        ),
        Case(
            name: "unknown daemon key",
            toml: valid(daemon: "concurency = 4"),
            line: 4,
            key: "daemon.concurency",
            message: "did you mean 'concurrency'"
        ),
        Case(
            name: "unknown resource key",
            toml: valid(resource: "evry = \"1d\""),
            line: 15,
            key: "resource[0].evry",
            message: "did you mean 'every'"
        ),
        Case(
            name: "bad duration",
            toml: valid(resource: "every = \"thirty days\""),
            line: 15,
            key: "resource[0].every",
            message: "is not a duration"
        ),
        Case(
            name: "duration without unit",
            toml: valid(defaults: "grace = \"3600\""),
            line: 12,
            key: "defaults.grace",
            message: "is not a duration"
        ),
        Case(
            name: "duration of wrong type",
            toml: valid(resource: "grace = 3600"),
            line: 15,
            key: "resource[0].grace",
            message: "must be a string"
        ),
        Case(
            name: "grace not below every",
            toml: valid(resource: "every = \"1h\"\ngrace = \"1h\""),
            line: 16,
            key: "resource[0].grace",
            message: "must be shorter than every"
        ),
        Case(
            name: "grace from defaults too long",
            toml: valid(defaults: "grace = \"40d\""),
            line: 13,
            key: "resource[0].grace",
            message: "must be shorter than every"
        ),
        Case(
            name: "jitter not below every",
            toml: valid(resource: "every = \"1h\"\ngrace = \"1m\"\njitter = \"2h\""),
            line: 17,
            key: "resource[0].jitter",
            message: "jitter"
        ),
        Case(
            name: "zero every",
            toml: valid(resource: "every = \"0s\"\ngrace = \"0s\""),
            line: 15,
            key: "resource[0].every",
            message: "longer than zero"
        ),
        Case(
            name: "duplicate name",
            toml: valid(resource: "name = \"a\"", more: "[[resource]]\nid = \"\(id2)\"\nname = \"a\""),
            line: 18,
            key: "resource[1].name",
            message: "duplicate resource name"
        ),
        Case(
            name: "duplicate output",
            toml: valid(resource: "output = \"x.conn\"", more: "[[resource]]\nid = \"\(id2)\"\noutput = \"x.conn\""),
            line: 18,
            key: "resource[1].output",
            message: "already written"
        ),
        Case(
            name: "same resource twice",
            toml: valid(resource: "name = \"a\"", more: "[[resource]]\nid = \"\(id)\"\nname = \"b\""),
            line: 17,
            key: "resource[1].id",
            message: "already configured"
        ),
        Case(
            name: "output escapes with ..",
            toml: valid(resource: "output = \"../etc/passwd\""),
            line: 15,
            key: "resource[0].output",
            message: "escapes the secrets directory"
        ),
        Case(
            name: "absolute output",
            toml: valid(resource: "output = \"/tmp/x\""),
            line: 15,
            key: "resource[0].output",
            message: "escapes the secrets directory"
        ),
        Case(
            name: "hidden output",
            toml: valid(resource: "output = \".x\""),
            line: 15,
            key: "resource[0].output",
            message: "must not start with '.'"
        ),
        Case(
            name: "world-readable mode",
            toml: valid(resource: "mode = \"0644\""),
            line: 15,
            key: "resource[0].mode",
            message: "lets every user read the key"
        ),
        Case(
            name: "world-readable default mode",
            toml: valid(defaults: "mode = 0o604"),
            line: 12,
            key: "defaults.mode",
            message: "lets every user read"
        ),
        Case(name: "executable mode", toml: valid(resource: "mode = \"0750\""), line: 15, key: "resource[0].mode", message: "executable"),
        Case(name: "mode not octal", toml: valid(resource: "mode = \"rw-r-----\""), line: 15, key: "resource[0].mode", message: "octal"),
        Case(
            name: "unknown group",
            toml: valid(resource: "group = \"no-such-group-xyz\""),
            line: 15,
            key: "resource[0].group",
            message: "does not exist"
        ),
        Case(
            name: "unknown strategy",
            toml: valid(defaults: "strategy = \"secondary-first\""),
            line: 12,
            key: "defaults.strategy",
            message: "use full or alternate"
        ),
        Case(name: "unknown format", toml: valid(resource: "format = \"yaml\""), line: 15, key: "resource[0].format", message: "unknown format"),
        Case(
            name: "bad env name",
            toml: valid(resource: "format = \"env\"\nenv_name = \"1BAD\""),
            line: 16,
            key: "resource[0].env_name",
            message: "not a valid environment variable"
        ),
        Case(
            name: "bad api version",
            toml: valid(resource: "api_version = \"latest\""),
            line: 15,
            key: "resource[0].api_version",
            message: "is not an api-version"
        ),
        Case(
            name: "bad resource id",
            toml: valid(resource: "", more: "[[resource]]\nid = \"/subscriptions/x/resourceGroups/y\""),
            line: 17,
            key: "resource[1].id",
            message: "expected an ARM resource id of the form"
        ),
        Case(
            name: "wrong provider in id",
            toml: valid(more: "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/r\""),
            line: 17,
            key: "resource[1].id",
            message: "'Microsoft.Web/sites' is not a resource type keyrotd rotates; it rotates Microsoft.Communication/communicationServices, "
        ),
        Case(
            name: "a Service Bus namespace without its rule",
            toml: valid(more: "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/orders-ns\""),
            line: 17,
            key: "resource[1].id",
            message:
                "expected /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ServiceBus/namespaces/{namespace}/authorizationRules/{rule} or "
        ),
        Case(
            name: "a storage account name with capitals",
            toml: valid(more: "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/MyStore\""),
            line: 17,
            key: "resource[1].id",
            message: "Azure Storage accounts name 'MyStore' must be 3-24 lower-case letters or digits"
        ),
        Case(
            name: "a read-only pair of a type that has none",
            toml: valid(
                more: "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Cache/redis/cache1\"\nkey_pair = \"read-only\""
            ),
            line: 18,
            key: "resource[1].key_pair",
            message: "Azure Cache for Redis has no read-only key pair; it has read-write"
        ),
        Case(
            name: "a connection string of a type that has none",
            toml: valid(
                more:
                    "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Maps/accounts/maps1\"\nformat = \"connection-string\""
            ),
            line: 18,
            key: "resource[1].format",
            message: "Azure Maps has no connection string"
        ),
        Case(
            name: "a template field a type does not have",
            toml: valid(
                more:
                    "[[resource]]\nid = \"/subscriptions/s/resourceGroups/g/providers/Microsoft.Search/searchServices/find1\"\ntemplate = \"{{connectionString}}\""
            ),
            line: 18,
            key: "resource[1].template",
            message: "Azure AI Search has no connection string: use {{key}} and {{endpoint}}"
        ),
        Case(
            name: "a malformed maintenance window",
            toml: valid(resource: "window = [\"Mon-Fri 9-17\"]"),
            line: 15,
            key: "resource[0].window",
            message: "'9-17' in 'Mon-Fri 9-17' is not HH:MM-HH:MM in 24-hour time"
        ),
        Case(
            name: "an unknown time zone",
            toml: valid(defaults: "window = [\"Sat 10:00-12:00\"]\ntimezone = \"Europe/Atlantis\""),
            line: 13,
            key: "defaults.timezone",
            message: "no time zone 'Europe/Atlantis' in the system's zoneinfo"
        ),
        Case(
            name: "an api_version in defaults",
            toml: valid(defaults: "api_version = \"2026-03-18\""),
            line: 12,
            key: "defaults.api_version",
            message: "unknown key 'api_version'"
        ),
        Case(name: "missing id", toml: valid(more: "[[resource]]\nname = \"x\""), line: 16, key: "resource[1].id", message: "is required"),
        Case(name: "bad name", toml: valid(resource: "name = \"has space\""), line: 15, key: "resource[0].name", message: "letters, digits"),
        Case(
            name: "unknown credential",
            toml: valid(resource: "credential = \"other\""),
            line: 15,
            key: "resource[0].credential",
            message: "no [credential.other] table"
        ),
        Case(
            name: "inline client secret",
            toml: valid(credential: "client_secret = \"hunter2hunter2hunter2\""),
            line: 9,
            key: "credential.main.client_secret",
            message: "secrets never go in the configuration file"
        ),
        Case(
            name: "missing tenant",
            toml: valid().replacingOccurrences(of: "tenant = \"t\"", with: ""),
            line: 5,
            key: "credential.main.tenant",
            message: "is required"
        ),
        Case(
            name: "credential file missing",
            toml: valid().replacingOccurrences(of: "SECRET", with: "/nonexistent/secret"),
            line: 8,
            key: "credential.main.client_secret_file",
            message: "does not exist"
        ),
        Case(
            name: "credential file readable by others",
            toml: valid().replacingOccurrences(of: "SECRET", with: "OPENSECRET"),
            line: 8,
            key: "credential.main.client_secret_file",
            message: "readable by others"
        ),
        Case(
            name: "unknown credential kind",
            toml: valid(credential: "kind = \"magic\""),
            line: 9,
            key: "credential.main.kind",
            message: "unknown kind 'magic'; use service-principal, managed-identity, workload-identity or auto"
        ),
        Case(
            name: "a service principal key on a managed identity",
            toml: valid(credential: "kind = \"managed-identity\""),
            line: 8,
            key: "credential.main.client_secret_file",
            message: "applies only to kind = 'service-principal', not 'managed-identity'"
        ),
        Case(
            name: "unknown cloud",
            toml: valid(credential: "cloud = \"AzureGermanCloud\""),
            line: 9,
            key: "credential.main.cloud",
            message: "unknown cloud 'AzureGermanCloud'; use AzureCloud, AzureUSGovernment or AzureChinaCloud"
        ),
        Case(
            name: "secret and certificate both",
            toml: valid(credential: "certificate_file = \"SECRET\""),
            line: 9,
            key: "credential.main.certificate_file",
            message: "either client_secret_file or certificate_file, not both"
        ),
        Case(
            name: "assertion algorithm without a certificate",
            toml: valid(credential: "assertion_algorithm = \"PS256\""),
            line: 9,
            key: "credential.main.assertion_algorithm",
            message: "applies only with certificate_file"
        ),
        Case(
            name: "unknown assertion algorithm",
            toml: valid(credential: "assertion_algorithm = \"ES256\"").replacingOccurrences(of: "client_secret_file", with: "certificate_file"),
            line: 9,
            key: "credential.main.assertion_algorithm",
            message: "unknown assertion_algorithm 'ES256'; use PS256 or RS256"
        ),
        Case(
            name: "plain http to a remote host",
            toml: valid(credential: "arm_endpoint = \"http://management.azure.com\""),
            line: 9,
            key: "credential.main.arm_endpoint",
            message: "only to a loopback"
        ),
        Case(
            name: "concurrency out of range",
            toml: valid(daemon: "concurrency = 0"),
            line: 4,
            key: "daemon.concurrency",
            message: "between 1 and 1024"
        ),
        Case(
            name: "missing CA file",
            toml: valid(daemon: "tls_ca_file = \"/nonexistent/ca.pem\""),
            line: 4,
            key: "daemon.tls_ca_file",
            message: "cannot read"
        ),
        Case(
            name: "a metrics file node_exporter would not read",
            toml: valid(daemon: "metrics_file = \"/var/lib/prometheus/node-exporter/keyrotd.txt\""),
            line: 4,
            key: "daemon.metrics_file",
            message: "does not end in NAME.prom"
        ),
        Case(
            name: "retry_max below retry_initial",
            toml: valid(daemon: "retry_initial = \"1h\"\nretry_max = \"1m\""),
            line: 5,
            key: "daemon.retry_max",
            message: "must not be shorter"
        ),
        Case(
            name: "unknown log level",
            toml: valid(daemon: "log_level = \"loud\""),
            line: 4,
            key: "daemon.log_level",
            message: "unknown log_level 'loud'; use trace, debug, info, notice, warning, error or critical"
        ),
        Case(
            name: "hook as a shell string",
            toml: valid(resource: "on_publish = \"systemctl reload app\""),
            line: 15,
            key: "resource[0].on_publish",
            message: "must be a non-empty array"
        ),
        Case(
            name: "hook without an absolute path",
            toml: valid(daemon: "on_publish = [\"systemctl\", \"reload\", \"app\"]"),
            line: 4,
            key: "daemon.on_publish",
            message: "not an absolute path: hooks run without a shell and without a PATH search"
        ),
        Case(
            name: "hook not executable",
            toml: valid(resource: "on_publish = [\"/dev/null\"]"),
            line: 15,
            key: "resource[0].on_publish",
            message: "'/dev/null' is not an executable file"
        ),
        Case(
            name: "hook argument not a string",
            toml: valid(resource: "on_publish = [\"/bin/true\", 3]"),
            line: 15,
            key: "resource[0].on_publish",
            message: "every element must be a string"
        ),
        Case(
            name: "hook timeout out of range",
            toml: valid(resource: "on_publish = [\"/bin/true\"]\nhook_timeout = \"2h\""),
            line: 16,
            key: "resource[0].hook_timeout",
            message: "must be between 100ms and 1h"
        ),
        Case(
            name: "verify not a boolean",
            toml: valid(defaults: "verify = \"yes\""),
            line: 12,
            key: "defaults.verify",
            message: "must be true or false"
        ),
        Case(
            name: "ack files not an array",
            toml: valid(resource: "confirm_ack_files = \"/run/app/ack\""),
            line: 15,
            key: "resource[0].confirm_ack_files",
            message: "must be an array of file paths"
        ),
        Case(
            name: "confirm command as a shell string",
            toml: valid(resource: "confirm_command = \"check-app --loaded\""),
            line: 15,
            key: "resource[0].confirm_command",
            message: "must be a non-empty array"
        ),
        Case(
            name: "unknown template field",
            toml: valid(resource: "template = \"ACS_KEY={{accessKey}}\""),
            line: 15,
            key: "resource[0].template",
            message:
                "unknown field '{{accessKey}}'; a template may use {{endpoint}}, {{key}}, {{keyName}}, {{connectionString}}, {{keyType}}, {{rotatedAt}}"
        ),
        Case(
            name: "template and format together",
            toml: valid(resource: "format = \"json\"\ntemplate = \"{{key}}\""),
            line: 16,
            key: "resource[0].template",
            message: "give format or template, not both"
        ),
        Case(
            name: "unknown field in the second extra output",
            toml: valid(
                more:
                    "[[resource.outputs]]\nfile = \"a.json\"\nformat = \"json\"\n[[resource.outputs]]\nfile = \"b.txt\"\ntemplate = \"{{key}} {{rotated_at}}\""
            ),
            line: 21,
            key: "resource[0].outputs[1].template",
            message: "unknown field '{{rotated_at}}'"
        ),
        Case(
            name: "extra output clashing with another resource's file",
            toml: valid(more: "[[resource.outputs]]\nfile = \"acs-001.conn\"\nformat = \"key\""),
            line: 17,
            key: "resource[0].outputs[0].file",
            message: "output 'acs-001.conn' is already written by the resource"
        ),
        Case(
            name: "a vault of another cloud",
            toml: valid(more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.cn\"\nsecret = \"app\"\nconsumer_refresh = \"1h\""),
            line: 17,
            key: "resource[0].outputs[0].key_vault",
            message: "'kv.vault.azure.cn' is not a vault of AzureCloud: its host must end in .vault.azure.net"
        ),
        Case(
            name: "a vault URL with a path",
            toml: valid(
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net/secrets/app\"\nsecret = \"app\"\nconsumer_refresh = \"1h\""
            ),
            line: 17,
            key: "resource[0].outputs[0].key_vault",
            message: "must be the vault's URL alone"
        ),
        Case(
            name: "a vault over plain http",
            toml: valid(more: "[[resource.outputs]]\nkey_vault = \"http://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\""),
            line: 17,
            key: "resource[0].outputs[0].key_vault",
            message: "plain http is allowed only to a loopback address"
        ),
        Case(
            name: "a Key Vault secret name with an underscore",
            toml: valid(
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\""
                    .replacingOccurrences(of: "secret = \"app\"", with: "secret = \"app_key\"")
            ),
            line: 18,
            key: "resource[0].outputs[0].secret",
            message: "'app_key' is not a Key Vault secret name"
        ),
        Case(
            name: "versions that expire before a rotation is over",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\"\nexpires_after = \"7d\""
            ),
            line: 20,
            key: "resource[0].outputs[0].expires_after",
            message: "7d is shorter than every + grace (30d1h)"
        ),
        Case(
            name: "grace shorter than the vault consumers' refresh",
            toml: valid(more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\""),
            line: 17,
            key: "resource[0].outputs[0].key_vault",
            message: "the resource's grace (1h) is shorter than consumer_refresh (1d)"
        ),
        Case(
            name: "a file and a vault in one output",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\"\nfile = \"x.conn\""
            ),
            line: 20,
            key: "resource[0].outputs[0].file",
            message: "give file or key_vault, not both"
        ),
        Case(
            name: "a Key Vault key on a file output",
            toml: valid(more: "[[resource.outputs]]\nfile = \"x.conn\"\nsecret = \"app\""),
            line: 18,
            key: "resource[0].outputs[0].secret",
            message: "applies only to a Key Vault output"
        ),
        Case(
            name: "keyrotd's own tag",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\"\ntags = { keyrotd-key = \"x\" }"
            ),
            line: 20,
            key: "resource[0].outputs[0].tags",
            message: "'keyrotd-key': tags starting with keyrotd- are keyrotd's own"
        ),
        Case(
            name: "one vault secret written twice",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\"\n[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\""
            ),
            line: 22,
            key: "resource[0].outputs[1].secret",
            message: "app in https://kv.vault.azure.net is already written by the resource at line 18"
        ),
        Case(
            name: "a clashing file after a vault output names its own table",
            toml: valid(
                more:
                    "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nconsumer_refresh = \"1h\"\n[[resource.outputs]]\nfile = \"acs-001.conn\""
            ),
            line: 21,
            key: "resource[0].outputs[1].file",
            message: "output 'acs-001.conn' is already written by the resource"
        ),
        Case(
            name: "a follower name that cannot be a tag",
            toml: valid(
                more: "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
                    .replacingOccurrences(of: "web-1", with: "web_1")
            ),
            line: 17,
            key: "follow[0].name",
            message: "'web_1' must be 1-64 letters, digits, '-' and '.' (not first)"
        ),
        Case(
            name: "a followed vault of another cloud",
            toml: valid(
                more: "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
                    .replacingOccurrences(of: "vault.azure.net", with: "vault.usgovcloudapi.net")
            ),
            line: 18,
            key: "follow[0].key_vault",
            message: "is not a vault of AzureCloud"
        ),
        Case(
            name: "a followed secret name with a dot",
            toml: valid(
                more: "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
                    .replacingOccurrences(of: "secret = \"app\"", with: "secret = \"app.conn\"")
            ),
            line: 19,
            key: "follow[0].secret",
            message: "'app.conn' is not a Key Vault secret name"
        ),
        Case(
            name: "a follower writing a resource's file",
            toml: valid(
                more: "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
                    .replacingOccurrences(of: "app.conn", with: "acs-001.conn")
            ),
            line: 20,
            key: "follow[0].file",
            message: "'acs-001.conn' is already written by the entry at line 13"
        ),
        Case(
            name: "two followers of one name",
            toml: valid(
                more:
                    "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\"\n[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
                    .replacingOccurrences(of: "file = \"app.conn\"\n[[", with: "file = \"other.conn\"\n[[")
            ),
            line: 22,
            key: "follow[1].name",
            message: "duplicate follower name 'web-1' (also used at line 17)"
        ),
        Case(
            name: "a follower's env format without its variable name",
            toml: valid(
                more:
                    "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\"\nformat = \"env\""
            ),
            line: 21,
            key: "follow[0].format",
            message: "needs env_name here"
        ),
        Case(
            name: "followers confirming without a Key Vault output",
            toml: valid(resource: "confirm_followers = [\"web-1\"]"),
            line: 15,
            key: "resource[0].confirm_followers",
            message: "followers confirm on Key Vault versions"
        ),
        Case(
            name: "a confirming follower's name that cannot be a tag",
            toml: valid(
                resource: "confirm_followers = [\"web 1\"]",
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\""
            ),
            line: 15,
            key: "resource[0].confirm_followers",
            message: "'web 1' is not a follower name"
        ),
        Case(
            name: "operator tags and confirming followers beyond Key Vault's 15",
            toml: valid(
                resource: "confirm_followers = [\"web-1\", \"web-2\"]",
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\ntags = { "
                    + (1...11).map { "t\($0) = \"x\"" }.joined(separator: ", ") + " }"
            ),
            line: 19,
            key: "resource[0].outputs[0].tags",
            message: "at most 10 tags (Key Vault allows 15; keyrotd sets 3 and each of confirm_followers one)"
        ),
        Case(
            name: "operator tags, the epoch and confirming nodes beyond Key Vault's 15",
            toml: valid(
                resource: "confirm_followers = [\"web-1\", \"web-2\"]",
                more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\ntags = { "
                    + (1...10).map { "t\($0) = \"x\"" }.joined(separator: ", ") + " }\n[ha]\njournal = \"https://acct.blob.core.windows.net/keyrotd\""
            ),
            line: 19,
            key: "resource[0].outputs[0].tags",
            message: "at most 9 tags (Key Vault allows 15; keyrotd sets 3, the group's epoch one and each of confirm_followers one)"
        ),
        Case(
            name: "resource not an array of tables",
            toml: valid().replacingOccurrences(of: "[[resource]]\nid = \"\(id)\"", with: "[resource]\nid = \"\(id)\""),
            line: 13,
            key: "resource",
            message: "array of tables"
        ),
    ]

    @Test(arguments: cases)
    func reportsFileLineAndKey(_ c: Case) throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(c.toml, in: dir)
        var issues: [String] = []
        do {
            _ = try ConfigurationLoader(environment: [:]).load(path: path)
            Issue.record("the configuration was accepted")
        } catch {
            issues = error.issues.filter { $0.severity == .error }.map(\.description)
        }
        let expected = c.key.isEmpty ? "\(path):\(c.line): error: " : "\(path):\(c.line): error: \(c.key): "
        #expect(
            issues.contains { $0.hasPrefix(expected) && $0.contains(c.message) },
            "expected a line starting '\(expected)' with '\(c.message)' in:\n\(issues.joined(separator: "\n"))"
        )
    }

    @Test func aValidConfigurationAndTheAnnotatedExampleLoad() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (configuration, warnings) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(Self.valid(), in: dir))
        #expect(configuration.resources.count == 1 && warnings.isEmpty)

        var example = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { example.deleteLastPathComponent() }
        // The example names a systemd credential, which only exists under systemd: a warning, not an error.
        let (loaded, _) = try ConfigurationLoader(environment: [:]).load(path: example.appendingPathComponent("config/keyrotd.toml").path)
        #expect(!loaded.resources.isEmpty)

        // The README's minimal configuration, its one TOML block, loads as it stands and means what
        // the README says of it.
        let readme = try String(contentsOf: example.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "```toml\n").dropFirst().first?.components(separatedBy: "```").first)
        let (minimal, _) = try ConfigurationLoader(environment: [:]).load(source: block, path: example.appendingPathComponent("README.md").path)
        let resource = try #require(minimal.resources.first)
        #expect(minimal.resources.count == 1 && resource.name == "chat-prod" && resource.output == "chat-prod.conn")
        #expect(resource.every == .seconds(30 * 86_400) && resource.grace == .seconds(3600) && resource.mode == 0o640)
    }

    /// An application rotated and one only watched: their targets, and the resource keys they share.
    @Test func applicationsLoad() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let document = Self.valid(
            more: """
                [[application]]
                name = "billing"
                client_id = "00000000-0000-4000-8000-0000000000A1"
                grace = "2h"
                settle = "1m"
                format = "env"
                [[application]]
                name = "partner"
                object_id = "00000000-0000-4000-8000-0000000000b1"
                rotate = false
                """
        )
        let (loaded, warnings) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(document, in: dir))
        #expect(warnings.isEmpty, "\(warnings)")
        let billing = try #require(loaded.resources.first { $0.name == "billing" })
        let target = try #require(billing.application)
        #expect(target.reference == .clientID("00000000-0000-4000-8000-0000000000a1") && target.rotate && target.settle == .seconds(60))
        #expect(target.lifetime == ApplicationTarget.Defaults.lifetime && target.tenant == nil && !target.makeRoom)
        #expect(billing.output == "billing.env" && billing.envName == "AZURE_CLIENT_SECRET" && billing.grace == .seconds(7200))
        #expect(
            billing.every == .seconds(30 * 86_400) && billing.armID == nil
                && billing.target.recordID == "application:appId=00000000-0000-4000-8000-0000000000a1"
        )
        #expect(RotationPolicy(billing, daemon: loaded.daemon).model == .addAndRemove)
        let partner = try #require(loaded.resources.first { $0.name == "partner" }?.application)
        // keyrotd's own secret: the credential's application, written to the credentials directory.
        let own = Self.valid(more: "[[application]]\nname = \"self\"\nown_secret = true\nlifetime = \"60d\"")
        let (ownLoaded, _) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(own, in: dir))
        let ownEntry = try #require(ownLoaded.resources.first { $0.name == "self" })
        #expect(ownEntry.application?.reference == .clientID("c") && ownEntry.application?.ownCredential == "main")
        #expect(ownEntry.output == "main.secret" && ownEntry.mode == 0o600 && ownEntry.application?.tenant == "t")
        #expect(ownLoaded.credentials["main"]?.rotatedSecretFile == "/var/lib/keyrotd/credentials/main.secret")
        #expect(partner.reference == .objectID("00000000-0000-4000-8000-0000000000b1") && !partner.rotate)
    }

    /// A node of a high-availability group: its container, credential, name and lease.
    @Test func aGroupMemberLoads() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let member = Self.valid(
            more: """
                [[resource.outputs]]
                key_vault = "https://kv.vault.azure.net"
                secret = "app"
                consumer_refresh = "30m"
                [ha]
                journal = "https://acct.blob.core.windows.net/keyrotd"
                node = "rotator-1.example"
                lease_duration = "15s"
                """
        )
        let (loaded, warnings) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(member, in: dir))
        #expect(warnings.isEmpty, "\(warnings)")
        let group = try #require(loaded.daemon.highAvailability)
        #expect(group.journal.absoluteString == "https://acct.blob.core.windows.net/keyrotd" && group.credential == "main")
        #expect(group.node == "rotator-1.example" && group.leaseDuration == .seconds(15))
        let hostNamed = member.replacingOccurrences(of: "node = \"rotator-1.example\"\nlease_duration = \"15s\"", with: "")
        let (defaulted, _) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(hostNamed, in: dir))
        #expect(defaulted.daemon.highAvailability?.node == ProcessInfo.processInfo.hostName)
        #expect(defaulted.daemon.highAvailability?.leaseDuration == .seconds(60))
        // Every node writes the resource's file from the vault through a follower of its own, which
        // confirms under the node's name only when the resource waits for that node.
        let follower = try #require(loaded.allFollows.first)
        #expect(loaded.allFollows.count == 1 && loaded.follows.isEmpty)
        #expect(follower.name == "acs-001" && follower.secret == "app" && follower.output.file == "acs-001.conn" && follower.verbatim)
        #expect(follower.interval == .seconds(300) && !follower.confirm && follower.confirmationTag == "keyrotd-confirmed-rotator-1.example")
        let confirming = member.replacingOccurrences(
            of: "id = \"\(Self.id)\"\n",
            with: "id = \"\(Self.id)\"\nconfirm_followers = [\"rotator-1.example\"]\n"
        )
        let (waited, _) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(confirming, in: dir))
        #expect(waited.allFollows.first?.confirm == true)
        // A vault holding json is laid out anew with the file's own format.
        let json = member.replacingOccurrences(of: "consumer_refresh = \"30m\"\n", with: "consumer_refresh = \"2m\"\nformat = \"json\"\n")
        let (relaid, _) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(json, in: dir))
        let relaidFollower = try #require(relaid.allFollows.first)
        #expect(!relaidFollower.verbatim && relaidFollower.output.format == relaid.resources[0].format && relaidFollower.interval == .seconds(60))
        // The request timeout is lowered to what a 15-s lease can cover, and refused when set higher.
        #expect(loaded.daemon.requestTimeout == .milliseconds(6250))
        let slow = member.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nrequest_timeout = \"30s\"\n")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(path: try Self.write(slow, in: dir)) }
    }

    /// A host that only follows needs no [[resource]]; followers that confirm let grace be shorter
    /// than the vault consumers' refresh.
    @Test func aFollowerOnlyHostAndConfirmingFollowersLoad() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let followerOnly =
            Self.valid().components(separatedBy: "[[resource]]")[0]
            + "[[follow]]\nname = \"web-1\"\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\"\nfile = \"app.conn\""
        let (configuration, warnings) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(followerOnly, in: dir))
        #expect(configuration.resources.isEmpty && warnings.isEmpty, "\(warnings)")
        let follow = try #require(configuration.follows.first)
        #expect(follow.name == "web-1" && follow.credential == "main" && follow.secret == "app" && follow.output.file == "app.conn")
        #expect(follow.verbatim && follow.confirm && follow.interval == .seconds(30) && follow.output.mode == 0o640)
        #expect(follow.confirmationTag == "keyrotd-confirmed-web-1")

        let leader = Self.valid(
            resource: "grace = \"10m\"\nconfirm_followers = [\"web-1\", \"web-2\"]",
            more: "[[resource.outputs]]\nkey_vault = \"https://kv.vault.azure.net\"\nsecret = \"app\""
        )
        let (loaded, _) = try ConfigurationLoader(environment: [:]).load(path: try Self.write(leader, in: dir))
        #expect(loaded.resources.first?.confirmFollowers == ["web-1", "web-2"])
    }

    /// `${CREDENTIALS_DIRECTORY}/ID` where that variable is not set (`check` in a shell) is checked
    /// at the source keyrotd.service's `LoadCredential=` names: refused with the line and the path
    /// looked for when the unit does not load it or the source is missing; a directory is a source.
    @Test func aHandedOverCredentialIsCheckedAtItsSource() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(Self.valid().replacingOccurrences(of: "SECRET", with: "${CREDENTIALS_DIRECTORY}/keyrotd-client-secret"), in: dir)
        func errors(_ sources: [String: String], stores: [String] = ServiceCredentials.credentialStores) -> [String] {
            let handOver = ServiceCredentials(sources: sources, searchDirectories: stores)
            do {
                _ = try ConfigurationLoader(environment: [:], serviceCredentials: .success(handOver)).load(path: path)
                return []
            } catch {
                // A credential with an error is left out, so its resource also says it has none.
                return error.issues.filter { $0.severity == .error && $0.key.hasPrefix("credential.") }.map(\.description)
            }
        }
        let at = "\(path):8: error: credential.main.client_secret_file: keyrotd.service "
        let fix = "add LoadCredential=keyrotd-client-secret (systemctl edit keyrotd.service), or name another file"
        #expect(errors([:]) == [at + "hands over no credential 'keyrotd-client-secret': " + fix])
        let stores = [dir + "/etc-credstore", dir + "/run-credstore"]
        #expect(
            errors(["keyrotd-client-secret": "keyrotd-client-secret"], stores: stores) == [
                at + "cannot load credential 'keyrotd-client-secret': none of \(stores[0])/keyrotd-client-secret, "
                    + "\(stores[1])/keyrotd-client-secret exists; put it in \(stores[0])/keyrotd-client-secret (root, mode 0600)"
            ]
        )
        #expect(
            errors(["keyrotd-client-secret": "/nowhere/client-secret"])
                == [
                    at
                        + "cannot load credential 'keyrotd-client-secret': '/nowhere/client-secret' does not exist; put it in /nowhere/client-secret (root, mode 0600)"
                ]
        )
        // Found in the second store, but readable by others: the source's own file checks apply.
        try FileManager.default.createDirectory(atPath: stores[1], withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/open-secret", toPath: stores[1] + "/keyrotd-client-secret")
        let open = errors(["keyrotd-client-secret": "keyrotd-client-secret"], stores: stores)
        #expect(open.first?.contains("\(stores[1])/keyrotd-client-secret' is readable by others") == true, "\(open)")
        #expect(errors(["keyrotd-client-secret": dir + "/secret"]).isEmpty)
        #expect(errors(["keyrotd-client-secret": stores[1]]).isEmpty, "a directory is a valid source")

        // Without the unit's view, a warning with the reason; under the service itself, a missing file
        // is the daemon's to report.
        let unreadable = ServiceCredentials.Unavailable("keyrotd.service is not-found here")
        let (_, warnings) = try ConfigurationLoader(environment: [:], serviceCredentials: .failure(unreadable)).load(path: path)
        #expect(
            warnings.map(\.message) == [
                "cannot check '${CREDENTIALS_DIRECTORY}/keyrotd-client-secret': CREDENTIALS_DIRECTORY is not set here "
                    + "and keyrotd.service's LoadCredential= could not be read: keyrotd.service is not-found here"
            ]
        )
        let (_, underSystemd) = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": dir + "/run-credentials"]).load(path: path)
        #expect(underSystemd.isEmpty)
    }

    /// A private folder with a client secret file (`SECRET`, 0600) and one readable by others (`OPENSECRET`).
    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: dir + "/secret", contents: Data("s3cr3t".utf8), attributes: [.posixPermissions: 0o600])
        _ = FileManager.default.createFile(atPath: dir + "/open-secret", contents: Data("s3cr3t".utf8), attributes: [.posixPermissions: 0o644])
        return dir
    }

    /// Writes `toml` as `keyrotd.toml` in `dir`, the secret placeholders replaced by the files'
    /// paths; returns its path.
    static func write(_ toml: String, in dir: String) throws -> String {
        let path = dir + "/keyrotd.toml"
        try toml.replacingOccurrences(of: "OPENSECRET", with: dir + "/open-secret").replacingOccurrences(of: "SECRET", with: dir + "/secret")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
