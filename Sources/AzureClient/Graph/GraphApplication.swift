import FoundationEssentials
import KeyRotation

/// What keyrotd reads of an app registration.
public struct GraphApplication: Sendable, Equatable {
    /// The object id, which Graph's actions address.
    public var objectID: String
    /// The application (client) id.
    public var clientID: String
    /// Its display name.
    public var displayName: String
    /// `signInAudience`: the audiences with personal Microsoft accounts allow two passwords only.
    public var signInAudience: String
    /// Its password and certificate credentials.
    public var credentials: [ApplicationCredential]

    /// Creates an application.
    public init(objectID: String, clientID: String, displayName: String, signInAudience: String, credentials: [ApplicationCredential]) {
        self.objectID = objectID
        self.clientID = clientID
        self.displayName = displayName
        self.signInAudience = signInAudience
        self.credentials = credentials
    }

    /// How many passwords Entra lets the application hold, when it limits them (two, for
    /// registrations that allow personal Microsoft accounts).
    public var passwordLimit: Int? {
        signInAudience == "AzureADandPersonalMicrosoftAccount" || signInAudience == "PersonalMicrosoftAccount" ? 2 : nil
    }

    /// Its passwords.
    public var passwords: [ApplicationCredential] { credentials.filter { $0.kind == .password } }
}

/// A password `addPassword` made: its listing, and the secret, which exists nowhere else.
public struct AddedPassword: Sendable {
    /// The credential as Graph lists it.
    public var credential: ApplicationCredential
    /// `secretText`.
    public var secret: Secret

    /// Creates an added password.
    public init(credential: ApplicationCredential, secret: Secret) {
        self.credential = credential
        self.secret = secret
    }
}

/// Graph's date-times: `2026-12-08T01:00:00Z`, with up to seven fractional digits.
enum GraphDate {
    /// Reads one; `nil` when it is none.
    static func parse(_ text: String) -> Date? {
        var whole = Substring(text)
        if let dot = whole.firstIndex(of: ".") {
            let fraction = whole[whole.index(after: dot)...].prefix { $0.isNumber }
            whole = whole[..<dot] + whole[fraction.endIndex...]
        }
        return try? Date(String(whole), strategy: .iso8601)
    }

    /// Writes one, in UTC with whole seconds.
    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}
