import FoundationEssentials

/// When and how long to wait before retrying an Azure request: exponential backoff with full
/// jitter for 408, 429, 5xx and connection failures, and the server's `Retry-After`,
/// `retry-after-ms` or `x-ms-retry-after-ms` whenever it gives one.
public struct RetryPolicy: Sendable {
    /// Total attempts, the first included.
    public var maxAttempts: Int
    /// The backoff unit: attempt n waits a random time in [0, min(cap, base·2ⁿ⁻¹)].
    public var base: Duration
    /// The largest backoff delay.
    public var cap: Duration
    /// The longest server-requested delay keyrotd waits inside one operation; a longer one ends the
    /// operation with the throttling error (the rotation is retried later by the scheduler).
    public var retryAfterCap: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 6, base: Duration = .milliseconds(500), cap: Duration = .seconds(30), retryAfterCap: Duration = .seconds(120)) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.retryAfterCap = retryAfterCap
    }

    /// Whether a response with `status` may be retried.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status)
    }

    /// The delay the server asked for, if any (`retry-after-ms`, `x-ms-retry-after-ms`, then
    /// `Retry-After` in seconds or as an HTTP date).
    public static func serverDelay(_ response: HTTPResponseData, now: Date = Date()) -> Duration? {
        for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
            if let text = response.header(name), let ms = Double(text.trimmingWhitespace()), ms >= 0 {
                return .milliseconds(Int64(ms))
            }
        }
        guard let text = response.header("retry-after")?.trimmingWhitespace() else { return nil }
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        if let date = Self.parseHTTPDate(text) {
            return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
        }
        return nil
    }

    /// How long to wait before retrying a request whose attempt number `attempt` got `response`, or
    /// `nil` when it must not be retried: the status is final, the attempts are used up, or the
    /// server asks for a longer wait than ``retryAfterCap``.
    public func delay(after response: HTTPResponseData, attempt: Int) -> Duration? {
        guard Self.isRetryable(status: response.status), attempt < maxAttempts else { return nil }
        if let server = Self.serverDelay(response) { return server <= retryAfterCap ? server : nil }
        return backoff(afterAttempt: attempt, fraction: Double.random(in: 0..<1))
    }

    /// How long to wait before retrying a request whose attempt number `attempt` failed with
    /// `error`, or `nil` when it must not be retried.
    public func delay(after error: TransportError, attempt: Int) -> Duration? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        return backoff(afterAttempt: attempt, fraction: Double.random(in: 0..<1))
    }

    /// The backoff before attempt `attempt + 1`, for a uniform random `fraction` in [0, 1).
    public func backoff(afterAttempt attempt: Int, fraction: Double) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let ceiling = min(Double(base.milliseconds) * Double(1 << exponent), Double(cap.milliseconds))
        return .milliseconds(Int64(ceiling * min(max(fraction, 0), 1)))
    }

    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 requires senders to use.
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int(parts[1]), let year = Int(parts[3]),
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(of: String(parts[2]))
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: time[0], minute: time[1], second: time[2]))
    }
}
