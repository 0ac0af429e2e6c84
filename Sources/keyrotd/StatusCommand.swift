import ArgumentParser
import Control
import FoundationEssentials
import KeyRotation
import SecretFiles

/// `keyrotd status`: per resource, the published key, last rotation, next due and last error: the
/// running daemon's live state through its control socket, else the durable state records.
struct StatusCommand: ParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the rotation state of every resource.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Print JSON.") var json = false

    /// Prints the table (or JSON) of the live state, or of the state records.
    func run() throws {
        let configuration = try loadConfiguration(options.config)
        let daemon = DaemonProbe.runningPID(stateDirectory: configuration.daemon.stateDirectory)
        var statuses: [ResourceStatus] = []
        var unreadable: [String] = []
        var live = false
        if daemon != nil {
            do {
                try ControlClient(path: configuration.daemon.controlSocket).send(ControlRequest(command: .status)) { reply in
                    if let error = reply.error { throw ControlClient.Unavailable(description: error) }
                    if let resources = reply.resources {
                        statuses = resources
                        live = true
                    }
                }
            } catch {
                Terminal.error("the daemon's control socket did not answer (\(error)); showing the state records")
            }
        }
        if !live {
            let store = try JSONStateStore(stateDirectory: configuration.daemon.stateDirectory)
            for resource in configuration.resources {
                do {
                    statuses.append(ResourceStatus(name: resource.name, record: try store.load(resource.name)))
                } catch {
                    unreadable.append("\(resource.name): \(error)")
                    statuses.append(ResourceStatus(name: resource.name, record: nil))
                }
            }
        }
        if json {
            struct Report: Encodable {
                var daemonPID: Int32?
                var live: Bool
                var resources: [ResourceStatus]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            Terminal.out(String(decoding: try encoder.encode(Report(daemonPID: daemon, live: live, resources: statuses)), as: UTF8.self))
            return
        }
        let source = live ? "live" : "from the state records"
        Terminal.out("keyrotd \(daemon.map { "running (pid \($0))" } ?? "not running"), \(source); \(ResourceStatus.summary(statuses, now: Date()))")
        let header = ["RESOURCE", "STEP", "PUBLISHED", "FINGERPRINT", "ROTATIONS", "LAST ROTATION", "NEXT", "FAILURES", "LAST ERROR"]
        let rows = statuses.map { s in
            [
                s.name, s.step, s.published ?? "-", s.publishedFingerprint ?? "-", String(s.rotations), Terminal.date(s.lastRotation),
                Terminal.date(s.nextDue), String(s.consecutiveFailures), s.lastError.map { String($0.prefix(120)) } ?? "-",
            ]
        }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        for row in [header] + rows {
            Terminal.out(
                row.indices.map { i in i == row.count - 1 ? row[i] : row[i] + String(repeating: " ", count: widths[i] - row[i].count) }.joined(
                    separator: "  "
                )
            )
        }
        for line in unreadable { Terminal.error("unreadable state: \(line)") }
    }
}
