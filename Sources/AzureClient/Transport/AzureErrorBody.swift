import FoundationEssentials

/// The error body ARM (`ErrorResponse`) and Key Vault answer with:
/// `{"error": {"code": …, "message": …, "innererror": {"code": …}}}`.
struct AzureErrorBody: Decodable {
    struct Detail: Decodable {
        var code: String?
        var message: String?
        var innererror: Inner?
    }

    struct Inner: Decodable {
        var code: String?
    }

    var error: Detail?

    /// `body` decoded, or `nil` when it is no such body.
    init?(_ body: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(body)) else { return nil }
        self = decoded
    }

    /// The first line of the message, at most 400 characters: enough for the journal, and never a
    /// page of HTML a proxy answered with.
    var message: String {
        String(((error?.message ?? "").split(separator: "\n").first.map(String.init) ?? "").prefix(400))
    }
}
