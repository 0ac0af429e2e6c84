import ArgumentParser
import Control
import DaemonExecutor
import FoundationEssentials
import KeyRotation
import Logging
import SecretFiles

/// `keyrotd rotate`: rotate now. Without a running daemon it rotates in place under the lock; when a
/// daemon runs, it asks it through its control socket and prints each step as the daemon reports it.
struct RotateCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Rotate resources now.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "Resource names.") var names: [String] = []
    @Flag(help: "Rotate every configured resource.") var all = false
    @Flag(help: "Print the plan and change nothing.") var dryRun = false
    @Flag(help: "Stay until the rotation completes, waiting out grace (full strategy).") var wait = false
    @Flag(
        help:
            "The published key leaked: regenerate both keys one after the other without waiting for grace, publish the new one. Consumers that do not reload at once fail. Names only, never --all."
    )
    var emergency = false

    /// Requires names or `--all`, not both; an emergency names its resources.
    func validate() throws {
        if names.isEmpty && !all { throw ValidationError("name at least one resource, or give --all") }
        if !names.isEmpty && all { throw ValidationError("give resource names or --all, not both") }
        if emergency && all { throw ValidationError("--emergency needs the names of the resources whose keys leaked, not --all") }
    }

    /// Rotates in place under the lock, or prints the plan.
    func run() async throws {
        let configuration = try loadConfiguration(options.config)
        let configured = Set(configuration.resources.map(\.name))
        let unknown = names.filter { !configured.contains($0) }
        if !unknown.isEmpty {
            Terminal.error("not configured: \(unknown.joined(separator: ", ")) (configured: \(configured.sorted().joined(separator: ", ")))")
            throw ExitCode(1)
        }
        let selected = all ? configuration.resources : configuration.resources.filter { names.contains($0.name) }
        if dryRun {
            try printPlan(selected, configuration: configuration)
            return
        }
        LogSetup.bootstrap(level: configuration.daemon.logLevel)
        let logger = Logger(label: "keyrotd")
        let lock: InstanceLock
        do {
            lock = try InstanceLock(stateDirectory: configuration.daemon.stateDirectory)
        } catch let held as InstanceLock.Held {
            try viaDaemon(selected.map(\.name), socket: configuration.daemon.controlSocket, held: held)
            return
        }
        if configuration.daemon.highAvailability != nil {
            // In place, nothing would hold the group's lease or write its journal.
            Terminal.error(
                "this host is in a high-availability group ([ha]): only the group's leader rotates, under its lease. Start keyrotd and run `keyrotd rotate` on the leader (`keyrotd status` names it)."
            )
            throw ExitCode(1)
        }
        defer { withExtendedLifetime(lock) {} }
        let clock = SystemWallClock(sleep: DaemonExecutor.sleep(for:))
        let runtime = try await DaemonRuntime(configuration: configuration, clock: clock, logger: logger, only: Set(selected.map(\.name)))
        var failed = false
        for rotator in await runtime.currentRotators {
            let before = await rotator.record.rotations
            var wake = await rotator.run(rotateNow: true, emergency: emergency)
            if await rotator.record.step == .idle, await rotator.record.rotations == before, await rotator.record.consecutiveFailures == 0 {
                // A resource keyrotd had never seen was adopted first; now rotate it as asked.
                wake = await rotator.run(rotateNow: true, emergency: emergency)
            }
            while wait || emergency, await rotator.record.rotations == before, await rotator.record.consecutiveFailures == 0 {
                try await clock.sleep(until: wake)
                wake = await rotator.run()
            }
            let record = await rotator.record
            let status = ResourceStatus(name: rotator.name, record: record)
            if record.consecutiveFailures > 0 {
                failed = true
                Terminal.out("\(rotator.name): FAILED at step \(record.step): \(record.lastError ?? "unknown error")")
            } else if record.rotations > before {
                Terminal.out("\(rotator.name): rotated; \(status.published ?? "-") key published (\(status.publishedFingerprint ?? "-"))")
            } else {
                Terminal.out(
                    "\(rotator.name): \(record.step); continues at \(Terminal.date(status.nextDue)) (the daemon, or `keyrotd rotate --wait`, finishes it)"
                )
            }
        }
        await runtime.shutdown()
        if failed { throw ExitCode(1) }
    }

    /// Asks the running daemon to rotate and prints what it reports, step by step.
    private func viaDaemon(_ names: [String], socket: String, held: InstanceLock.Held) throws {
        var failed = 0
        var finished = false
        do {
            try ControlClient(path: socket).send(ControlRequest(command: .rotate, names: names, emergency: emergency, wait: wait)) { reply in
                if let error = reply.error {
                    Terminal.error("the daemon refused: \(error)")
                    finished = true
                    failed += 1
                } else if let name = reply.resource {
                    switch reply.outcome {
                    case nil: Terminal.out("\(name): \(reply.message ?? "")")
                    case "rotated": Terminal.out("\(name): rotated; \(reply.message ?? "")")
                    case "waiting": Terminal.out("\(name): waiting: \(reply.message ?? "")")
                    case "interrupted": Terminal.out("\(name): interrupted: \(reply.message ?? "")")
                    default: Terminal.out("\(name): FAILED at step \(reply.step ?? "-"): \(reply.message ?? "unknown error")")
                    }
                } else if reply.done == true {
                    finished = true
                    failed += reply.failed ?? 0
                }
            }
        } catch let unavailable as ControlClient.Unavailable {
            Terminal.error("\(held), and its control socket is unavailable (\(unavailable)). Stop it first, or let it rotate on schedule.")
            throw ExitCode(1)
        }
        if !finished {
            Terminal.error("the daemon closed the connection before the rotation finished (is it stopping?); it resumes from the recorded step")
            throw ExitCode(1)
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Prints, per resource, the plan its state machine makes from the stored record (nothing secret).
    private func printPlan(_ resources: [ResourceConfiguration], configuration: Configuration) throws {
        let store = try JSONStateStore(stateDirectory: configuration.daemon.stateDirectory)
        let now = Date()
        for resource in resources {
            let machine = RotationMachine(
                record: try store.load(resource.name),
                resourceID: resource.target.recordID,
                policy: RotationPolicy(resource, daemon: configuration.daemon),
                now: now
            )
            let outputs = resource.outputs.map(\.file).joined(separator: ", ")
            Terminal.out("\(resource.name) (\(resource.strategy.rawValue), grace \(DurationFormat.format(resource.grace))):")
            for step in machine.plan(now: now, emergency: emergency).steps {
                let line: String
                switch step {
                case .adopt(let slot):
                    line = "adopt: read the live keys (listKeys) and publish the \(slot) key to \(outputs); nothing is regenerated"
                case .resume(let step):
                    line = "a rotation is in progress (\(step)); it is resumed, not restarted"
                case .wait(let reason):
                    line = "wait: \(reason)"
                case .regenerate(let slot) where resource.application != nil:
                    line = "add a new \(slot) \(resource.application?.certificate == true ? "certificate" : "secret") (nothing is removed)"
                case .regenerate(let slot):
                    line = "regenerate the \(slot) key (not published)"
                case .regenerateWithoutGrace(let slot):
                    line = "EMERGENCY: regenerate the \(slot) key at once, without grace; consumers that have not reloaded fail"
                case .publish(let slot):
                    line = "publish the \(slot) key to \(outputs)"
                case .grace(let grace):
                    line = "wait \(DurationFormat.format(grace)) for consumers to move to it"
                case .retire(let slot):
                    line = "remove the replaced \(slot) credential (only one keyrotd made)"
                }
                Terminal.out("  " + line)
            }
        }
    }
}
