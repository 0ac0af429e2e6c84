import Foundation
import Glibc
import Testing

extension EndToEnd {
    /// The real daemon with `metrics_file`: the file Prometheus' own Python client parses, its figures
    /// those `status --json` shows, nothing secret in it.
    @Suite(.serialized)
    struct MetricsEndToEndTests {
        /// Prints the file as prometheus_client's parser reads it: families with type, help and samples.
        static let parser = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            families = text_string_to_metric_families(open(sys.argv[1]).read())
            print(json.dumps([{"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in families]))
            """

        struct Family: Decodable {
            var name: String
            var type: String
            var help: String
            var samples: [Sample]
        }

        struct Sample: Decodable {
            var name: String
            var labels: [String: String]
            var value: Double
        }

        struct Status: Decodable {
            struct Resource: Decodable {
                var name: String
                var rotations: Int
                var lastRotation: Date?
                var nextDue: Date?
            }

            var resources: [Resource]
        }

        func parse(_ file: String, venv: String, scenario: Scenario) async throws -> [Family] {
            let script = scenario.directory + "/parse_metrics.py"
            try Self.parser.write(toFile: script, atomically: true, encoding: .utf8)
            let (status, out, errors) = try await ChildProcess.run(
                venv + "/bin/python",
                [script, file],
                directory: scenario.directory,
                label: "parser"
            )
            try #require(status == 0, "prometheus_client could not parse the file: \(errors)")
            return try JSONDecoder().decode([Family].self, from: Data(out.utf8))
        }

        @Test func theFileParsesWithPrometheusClientAndAgreesWithStatus() async throws {
            let venv = try await OfficialSDKTests.virtualenv("python-prometheus", packages: ["prometheus-client==0.26.0"])
            let scenario = try await Scenario("metrics", emulatorArguments: [], resources: 2, every: "1h", grace: "1s")
            let metrics = scenario.directory + "/node-exporter/keyrotd.prom"
            try FileManager.default.createDirectory(atPath: scenario.directory + "/node-exporter", withIntermediateDirectories: true)
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nmetrics_file = \"\(metrics)\"\n")
                .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let consumerTask = Task { await scenario.consumer.run() }
            defer { consumerTask.cancel() }
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "adoption") { try scenario.records().values.filter { $0.step == .idle }.count == 2 }
            let (code, _, errors) = try await scenario.keyrotd(["rotate", "acs-001", "--wait"], label: "rotate")
            try #require(code == 0, "\(errors)")
            // Written a few seconds after the change at most.
            try await scenario.wait(for: .seconds(30), "the rotation in the metrics file") {
                try String(contentsOfFile: metrics, encoding: .utf8).contains(#"keyrotd_rotations_total{resource="acs-001",type="communication"} 1"#)
            }
            let written = try #require(try FileManager.default.attributesOfItem(atPath: metrics)[.modificationDate] as? Date)
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: metrics)[.posixPermissions] as? Int)
            #expect(mode == 0o644)
            let families = try await parse(metrics, venv: venv, scenario: scenario)
            let (_, json, _) = try await scenario.keyrotd(["status", "--json"], label: "status")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let status = try decoder.decode(Status.self, from: Data(json.utf8))

            let byName = Dictionary(uniqueKeysWithValues: families.map { ($0.name, $0) })
            for (name, type) in [
                ("keyrotd_key_age_seconds", "gauge"), ("keyrotd_rotations", "counter"), ("keyrotd_rotation_failures", "counter"),
                ("keyrotd_last_rotation_timestamp_seconds", "gauge"), ("keyrotd_next_rotation_timestamp_seconds", "gauge"),
                ("keyrotd_waiting", "gauge"), ("keyrotd_arm_requests", "counter"), ("keyrotd_arm_throttled", "counter"),
                ("keyrotd_write_budget_remaining", "gauge"),
            ] {
                let family = try #require(byName[name], "\(name) is missing")
                #expect(family.type == type, "\(name)")
                #expect(!family.help.isEmpty, "\(name) has no HELP")
            }
            func value(_ family: String, _ resource: String, sample: String? = nil) -> Double? {
                byName[family]?.samples.first { $0.labels["resource"] == resource && (sample == nil || $0.name == sample) }?.value
            }
            for resource in status.resources {
                #expect(value("keyrotd_rotations", resource.name, sample: "keyrotd_rotations_total") == Double(resource.rotations))
                #expect(value("keyrotd_rotation_failures", resource.name, sample: "keyrotd_rotation_failures_total") == 0)
                let next = try #require(value("keyrotd_next_rotation_timestamp_seconds", resource.name))
                #expect(
                    abs(next - (resource.nextDue?.timeIntervalSince1970 ?? 0)) < 1,
                    "\(resource.name): \(next) vs \(String(describing: resource.nextDue))"
                )
                let waiting = byName["keyrotd_waiting"]?.samples.filter { $0.labels["resource"] == resource.name } ?? []
                #expect(waiting.count == 4 && waiting.allSatisfy { $0.value == 0 }, "\(resource.name) is idle")
                #expect(
                    byName["keyrotd_key_age_seconds"]?.samples.first { $0.labels["resource"] == resource.name }?.labels["type"] == "communication"
                )
            }
            // The rotated resource: its last rotation as status says, and its key published (before
            // grace and the second regeneration) shortly before that.
            let rotated = try #require(status.resources.first { $0.name == "acs-001" })
            let last = try #require(rotated.lastRotation)
            #expect(abs(try #require(value("keyrotd_last_rotation_timestamp_seconds", "acs-001")) - last.timeIntervalSince1970) < 1)
            #expect(value("keyrotd_last_rotation_timestamp_seconds", "acs-002") == nil, "never rotated, only adopted")
            let age = try #require(value("keyrotd_key_age_seconds", "acs-001"))
            let sinceLast = written.timeIntervalSince(last)
            #expect(age >= sinceLast - 1 && age <= sinceLast + 10, "key age \(age) s, \(sinceLast) s since the rotation ended")
            // ARM traffic: two adoptions and a full rotation's two regenerations, all answered.
            let requests = byName["keyrotd_arm_requests"]?.samples.filter { $0.name == "keyrotd_arm_requests_total" } ?? []
            #expect(requests.first { $0.labels == ["operation": "regenerateKey", "code": "200"] }?.value == 2, "\(requests)")
            #expect((requests.first { $0.labels == ["operation": "listKeys", "code": "200"] }?.value ?? 0) >= 2, "\(requests)")
            #expect(byName["keyrotd_arm_throttled"]?.samples.first?.value == 0)
            let budget = try #require(byName["keyrotd_write_budget_remaining"]?.samples.first)
            #expect(budget.labels["subscription"] != nil && budget.value >= 0 && budget.value <= 200)

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            await scenario.consumer.stop()
            #expect(await scenario.consumer.finalCheck().isEmpty)
            // The leak scan reads every file of the scenario, the metrics file among them.
            try await scenario.finish()
        }
    }
}
