import ArgumentParser
import Control
import Follower
import FoundationEssentials
import Glibc
import KeyRotation
import SecretFiles

/// `keyrotd status`: per resource, the published key, last rotation, next due and last error, and
/// per follower the version delivered: the running daemon's live state through its control socket,
/// else the durable state records.
struct StatusCommand: ParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the rotation state of every resource.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "Print JSON.") var json = false

    /// Prints the table (or JSON) of the live state, or of the state records.
    func run() throws {
        let configuration = try loadConfiguration(options.config, printingWarnings: false)
        let daemon = DaemonProbe.runningPID(stateDirectory: configuration.daemon.stateDirectory)
        var statuses: [ResourceStatus] = []
        var followers: [FollowerStatus] = []
        var unreadable: [String] = []
        var group: GroupStatus?
        var applications: [ApplicationExpiry] = []
        var live = false
        if daemon != nil {
            do {
                try ControlClient(path: configuration.daemon.controlSocket).send(ControlRequest(command: .status)) { reply in
                    if let error = reply.error { throw ControlClient.Unavailable(description: error) }
                    if let resources = reply.resources {
                        statuses = resources
                        followers = reply.followers ?? []
                        group = reply.group
                        applications = reply.applications ?? []
                        live = true
                    }
                }
            } catch {
                Terminal.error("the daemon's control socket did not answer (\(error)); showing the state records")
            }
        }
        if !live {
            let store = try JSONStateStore(stateDirectory: configuration.daemon.stateDirectory, create: false)
            // A watched application has no record: only the running daemon reads it.
            for resource in configuration.resources where resource.application?.rotate ?? true {
                do {
                    statuses.append(ResourceStatus(name: resource.name, record: try store.load(resource.name)))
                } catch {
                    unreadable.append("\(resource.name): \(error)")
                    statuses.append(ResourceStatus(name: resource.name, record: nil))
                }
            }
            let followerStore = try JSONStateStore(stateDirectory: configuration.daemon.stateDirectory, kind: "followers", create: false)
            for follow in configuration.allFollows {
                do {
                    followers.append(try SecretFollower.status(of: follow, store: followerStore))
                } catch {
                    unreadable.append("follower \(follow.name): \(error)")
                    followers.append(FollowerStatus(name: follow.name, source: follow.source, file: follow.output.file))
                }
            }
        }
        if json {
            struct Report: Encodable {
                var daemonPID: Int32?
                var live: Bool
                var resources: [ResourceStatus]
                var followers: [FollowerStatus]
                /// This node's place in its high-availability group, from the running daemon.
                var group: GroupStatus?
                /// Every application's credentials and their ends, from the running daemon.
                var applications: [ApplicationExpiry]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let report = Report(daemonPID: daemon, live: live, resources: statuses, followers: followers, group: group, applications: applications)
            Terminal.out(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let source = live ? "live" : "from the state records"
        if let group {
            Terminal.out("group \(group.group): \(group.text)")
            if !group.rotating, group.role == .standby {
                // The resources' state is the leader's, in the group's journal.
                Terminal.out("this node rotates nothing while it stands by; `keyrotd status` on \(group.leader ?? "the leader") shows the resources")
            }
        } else if configuration.daemon.highAvailability != nil, !live {
            Terminal.out("in a high-availability group; the state records below are this host's own, not the group's journal")
        }
        Terminal.out(
            "keyrotd \(daemon.map { "running (pid \($0))" } ?? "not running"), \(source); \(ResourceSummary(statuses).text(now: Date()))\(FollowerStatus.summary(followers).map { "; " + $0 } ?? "")"
        )
        let types = Dictionary(configuration.resources.map { ($0.name, $0.target.typeName) }, uniquingKeysWith: { first, _ in first })
        let table = StatusTable(statuses.map { StatusTable.Row(status: $0, type: types[$0.name] ?? "-") })
        // Colour only for a person at a terminal, and never against NO_COLOR (no-color.org).
        let colour = isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        if !statuses.isEmpty || followers.isEmpty {
            for line in table.lines(now: Date(), colour: colour) { Terminal.out(line) }
        }
        if !followers.isEmpty {
            if !statuses.isEmpty { Terminal.out("") }
            for line in StatusTable.followerLines(followers, now: Date(), colour: colour) { Terminal.out(line) }
        }
        for credential in configuration.credentials.values.sorted(by: { $0.name < $1.name }) {
            guard let rotated = credential.rotatedSecretFile, case .clientSecret(let bootstrap) = credential.kind else { continue }
            Terminal.out(
                access(rotated, F_OK) == 0
                    ? "credential \(credential.name): signs in with the secret keyrotd rotated (\(rotated)); \(bootstrap) is the bootstrap"
                    : "credential \(credential.name): signs in with the bootstrap secret (\(bootstrap)); keyrotd has not published one of its own yet"
            )
        }
        if !applications.isEmpty { Terminal.out("") }
        for application in applications { Terminal.out(application.text(now: Date())) }
        if !live, configuration.resources.contains(where: { $0.application != nil }) {
            Terminal.out("applications' credentials: the running daemon reads them (`keyrotd status` while it runs)")
        }
        for line in unreadable { Terminal.error("unreadable state: \(line)") }
    }
}
