/// Where the emulator can stop answering on demand (`POST /_emulator/hang?at=arm,token`), so a
/// test can stop keyrotd while a call of that kind is in flight: an ARM call, an Entra ID token
/// request, or a CONNECT through the test proxy.
public enum HangPoint: String, Sendable, CaseIterable {
    /// ARM requests (before they take effect).
    case arm
    /// Entra ID token requests.
    case token
    /// The CONNECT proxy, which reads the request and never answers.
    case proxy
}
