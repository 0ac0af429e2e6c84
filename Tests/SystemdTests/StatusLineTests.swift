import FoundationEssentials
import KeyRotation
import Synchronization
import Testing

@testable import Systemd

struct StatusLineTests {
    /// A line whose clock the test sets, whose waits end at once (recording how long they were
    /// asked to be), and whose sent lines arrive on a stream.
    private final class Harness: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        let waits = Mutex<[Duration]>([])
        let (lines, sent) = AsyncStream.makeStream(of: String.self)
        var statusLine: StatusLine {
            StatusLine(
                now: { self.now.withLock { $0 } },
                sleep: { duration in self.waits.withLock { $0.append(duration) } },
                send: { self.sent.yield($0) }
            )
        }
        func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    private func summary(_ count: Int, failing: Int = 0) -> ResourceSummary { ResourceSummary(count: count, failing: failing, next: nil) }

    @Test func theLineCarriesTheFollowersAndAFollowerOnlyHostSpeaksOfThemAlone() {
        let line = Harness().statusLine
        line.update {
            $0.resources = summary(1)
            $0.followers = "1 of 2 followers failing"
        }
        #expect(line.text.hasPrefix("1 resource"))
        #expect(line.text.hasSuffix("; 1 of 2 followers failing"))
        line.update { $0.followers = nil }
        #expect(!line.text.contains("follower"))

        let followerOnly = Harness().statusLine
        followerOnly.update { $0.resources = summary(0) }
        #expect(followerOnly.text == "0 resources; no failures")
        followerOnly.update {
            $0.followers = "2 followers current"
            $0.note = "reload rejected"
        }
        #expect(followerOnly.text == "reload rejected; 2 followers current")
    }

    /// READY=1 carries the line as it is when it is sent: a follower-only host once announced
    /// "0 resources" after its followers' status had gone out, and `systemctl status` kept that.
    @Test func readyCarriesTheLineOfTheMomentAndCountsAsSent() async {
        let harness = Harness()
        let line = harness.statusLine
        line.update { $0.followers = "1 follower current" }
        harness.advance(5)
        #expect(line.markSent() == "1 follower current")
        harness.advance(5)
        line.update { $0.followers = "1 follower current" }
        harness.sent.finish()
        var iterator = harness.lines.makeAsyncIterator()
        #expect(await iterator.next() == "1 follower current", "the first update went out")
        #expect(await iterator.next() == nil, "what READY carried is not sent again")
    }

    /// Thousands of finishing steps: at most one line per interval, the facts of the end of the
    /// interval in it; the same facts are not sent again.
    @Test func sendsAtMostOneLinePerIntervalWithTheLatestFacts() async {
        let harness = Harness()
        let line = harness.statusLine
        var lines = harness.lines.makeAsyncIterator()
        line.update { $0.resources = summary(3) }
        #expect(await lines.next() == "3 resources; no failures")
        harness.advance(0.25)
        line.update { $0.resources = summary(3, failing: 1) }
        line.update { $0.resources = summary(3, failing: 2) }
        #expect(await lines.next() == "3 resources; 2 failing", "one deferred line with the latest facts")
        #expect(harness.waits.withLock { $0 } == [.milliseconds(750)], "sent when the interval ends")
        harness.advance(2)
        line.update { $0.resources = summary(3, failing: 2) }
        line.update { $0.resources = summary(3) }
        #expect(await lines.next() == "3 resources; no failures", "unchanged facts are not sent again")
    }
}
