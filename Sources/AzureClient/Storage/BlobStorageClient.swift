import FoundationEssentials
import KeyRotation
import Logging

/// The Blob Storage calls of a high-availability group, on one container, as one Entra identity
/// (tokens for `https://storage.azure.com/.default`; no account key): the lease actions and
/// properties the election needs, and the conditional block-blob writes and reads of the journal.
///
/// Requests go through the same authenticated loop as ARM's and Key Vault's. Reads, lease renewals
/// and acquisitions (which name their id) are idempotent and retried; a conditional write is not —
/// after an answer that may have been lost it ends in ``OutcomeUnknown``, and the caller reads the
/// blob to learn whether it landed. The election passes a policy of one attempt and a short
/// timeout, as it retries on its own clock.
public struct BlobStorageClient: Sendable {
    /// What a blob's `HEAD` says.
    public struct Properties: Sendable, Equatable {
        /// The quoted ETag.
        public var etag: String
        /// `x-ms-lease-state`.
        public var leaseState: LeaseState
        /// `x-ms-meta-*`, names lower-cased.
        public var metadata: [String: String]
        /// The blob's length in bytes.
        public var contentLength: Int

        /// Creates properties.
        public init(etag: String, leaseState: LeaseState, metadata: [String: String], contentLength: Int) {
            self.etag = etag
            self.leaseState = leaseState
            self.metadata = metadata
            self.contentLength = contentLength
        }
    }

    /// `x-ms-lease-state`.
    public enum LeaseState: String, Sendable, Equatable {
        case available, leased, expired, breaking, broken

        /// Whether anyone may acquire the lease now.
        public var isFree: Bool { self == .available || self == .expired || self == .broken }
    }

    /// A write's precondition.
    public enum Condition: Sendable, Equatable {
        /// None: the write replaces whatever is there.
        case none
        /// The blob still has this ETag (`If-Match`): nobody wrote since.
        case ifMatch(String)
        /// The blob does not exist yet (`If-None-Match: *`).
        case ifNotExists
    }

    /// The container, `https://ACCOUNT.blob.core.windows.net/CONTAINER` (or a loopback emulator's).
    public let containerURL: URL
    private let credential: any TokenCredential
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger

    /// The scope of Storage tokens.
    public static let scope = "https://storage.azure.com/.default"
    /// The `x-ms-version` of every request (bearer tokens need 2017-11-09 or later).
    public static let version = "2023-11-03"

    /// Creates the client.
    ///
    /// - Throws: ``BlobStorageError`` (`InsecureURL`) for a URL that is not HTTPS and not a loopback emulator.
    public init(
        containerURL: URL,
        credential: any TokenCredential,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(30),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        logger: Logger
    ) throws(BlobStorageError) {
        var url = containerURL.absoluteString
        while url.hasSuffix("/") { url.removeLast() }
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host,
            EndpointPolicy.allows(scheme: scheme, host: host), parsed.path.split(separator: "/").count >= 1
        else {
            throw BlobStorageError(
                operation: "configure",
                url: url,
                status: 0,
                code: "InsecureURL",
                message: "a container URL is https://ACCOUNT.blob.core.windows.net/CONTAINER (plain http only to a loopback emulator)",
                requestID: nil
            )
        }
        self.containerURL = parsed
        self.credential = credential
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.logger = logger
    }

    // MARK: - Container and properties

    /// Creates the container; `false` when it already existed.
    public func createContainer() async throws -> Bool {
        let response = try await send("createContainer", method: "PUT", url: containerURL.absoluteString + "?restype=container", accepting: [409])
        return response.status != 409
    }

    /// The blob's properties and lease state, or `nil` when it does not exist.
    public func properties(_ blob: String) async throws -> Properties? {
        let response = try await send("getBlobProperties", method: "HEAD", url: url(blob), accepting: [404])
        guard response.status != 404 else { return nil }
        guard let etag = response.header("ETag"), let state = response.header("x-ms-lease-state").flatMap(LeaseState.init(rawValue:)) else {
            throw malformed("getBlobProperties", blob, "the answer has no ETag or lease state")
        }
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.lowercased().hasPrefix("x-ms-meta-") {
            metadata[String(name.lowercased().dropFirst("x-ms-meta-".count))] = value
        }
        return Properties(etag: etag, leaseState: state, metadata: metadata, contentLength: Int(response.header("Content-Length") ?? "") ?? 0)
    }

    // MARK: - Leases

    /// Acquires the blob's lease for `duration` (15 to 60 s) with id `proposedID`; returns the id.
    public func acquireLease(_ blob: String, duration: Duration, proposedID: String) async throws -> String {
        let headers = [
            ("x-ms-lease-action", "acquire"), ("x-ms-lease-duration", String(duration.components.seconds)),
            ("x-ms-proposed-lease-id", proposedID),
        ]
        let response = try await send("acquireLease", method: "PUT", url: url(blob) + "?comp=lease", headers: headers)
        guard let id = response.header("x-ms-lease-id") else { throw malformed("acquireLease", blob, "the answer has no lease id") }
        return id
    }

    /// Renews lease `id`.
    public func renewLease(_ blob: String, id: String) async throws {
        _ = try await send(
            "renewLease",
            method: "PUT",
            url: url(blob) + "?comp=lease",
            headers: [("x-ms-lease-action", "renew"), ("x-ms-lease-id", id)]
        )
    }

    /// Releases lease `id`.
    public func releaseLease(_ blob: String, id: String) async throws {
        _ = try await send(
            "releaseLease",
            method: "PUT",
            url: url(blob) + "?comp=lease",
            headers: [("x-ms-lease-action", "release"), ("x-ms-lease-id", id)],
            idempotent: false
        )
    }

    /// Breaks the lease after `period` (none: when a fixed lease ends); returns the seconds until it is broken.
    public func breakLease(_ blob: String, period: Duration?) async throws -> Int {
        var headers = [("x-ms-lease-action", "break")]
        if let period { headers.append(("x-ms-lease-break-period", String(period.components.seconds))) }
        let response = try await send("breakLease", method: "PUT", url: url(blob) + "?comp=lease", headers: headers)
        guard let seconds = response.header("x-ms-lease-time").flatMap({ Int($0) }) else {
            throw malformed("breakLease", blob, "the answer has no lease time")
        }
        return seconds
    }

    // MARK: - Blobs

    /// Writes `data` (JSON) to the block blob under `condition`, with the lease `leaseID` when the
    /// blob is leased; returns the new ETag. A refused condition or lease is a ``BlobStorageError``
    /// whose ``BlobStorageError/isConflict`` is true.
    public func put(
        _ blob: String,
        data: [UInt8],
        condition: Condition,
        leaseID: String? = nil,
        metadata: [String: String] = [:]
    ) async throws -> String {
        var headers = [("x-ms-blob-type", "BlockBlob")]
        switch condition {
        case .none: break
        case .ifMatch(let etag): headers.append(("If-Match", etag))
        case .ifNotExists: headers.append(("If-None-Match", "*"))
        }
        if let leaseID { headers.append(("x-ms-lease-id", leaseID)) }
        headers += metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        let response = try await send("putBlob", method: "PUT", url: url(blob), headers: headers, body: data, idempotent: condition == .none)
        guard let etag = response.header("ETag") else { throw malformed("putBlob", blob, "the answer has no ETag") }
        return etag
    }

    /// The blob's data and ETag, or `nil` when it does not exist; with `leaseID`, only while that
    /// lease holds it.
    public func get(_ blob: String, leaseID: String? = nil) async throws -> (data: [UInt8], etag: String)? {
        let headers = leaseID.map { [("x-ms-lease-id", $0)] } ?? []
        let response = try await send("getBlob", method: "GET", url: url(blob), headers: headers, accepting: [404])
        guard response.status != 404 else { return nil }
        guard let etag = response.header("ETag") else { throw malformed("getBlob", blob, "the answer has no ETag") }
        return (response.body, etag)
    }

    /// Replaces the blob's metadata (a write: the ETag changes, the data does not), with the lease
    /// `leaseID` when the blob is leased.
    public func setMetadata(_ blob: String, _ metadata: [String: String], leaseID: String? = nil) async throws {
        var headers = metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
        if let leaseID { headers.append(("x-ms-lease-id", leaseID)) }
        _ = try await send("setBlobMetadata", method: "PUT", url: url(blob) + "?comp=metadata", headers: headers)
    }

    /// The names of the container's blobs that start with `prefix`, in name order, across pages.
    public func list(prefix: String) async throws -> [String] {
        var names: [String] = []
        var marker = ""
        repeat {
            // Pages of 500: each entry's properties take about a kilobyte of XML, and an answer
            // must stay below the transport's 1 MiB (Azure's default page is 5,000).
            let query =
                "?restype=container&comp=list&maxresults=500&prefix=" + Self.encoded(Substring(prefix))
                + (marker.isEmpty ? "" : "&marker=" + Self.encoded(Substring(marker)))
            let response = try await send("listBlobs", method: "GET", url: containerURL.absoluteString + query)
            let xml = String(decoding: response.body, as: UTF8.self)
            names += BlobStorageError.elements("Name", in: xml)
            marker = BlobStorageError.elements("NextMarker", in: xml).first ?? ""
        } while !marker.isEmpty
        return names
    }

    // MARK: - Sending

    /// The URL of `blob` in the container, each path segment percent-encoded.
    public func url(_ blob: String) -> String {
        containerURL.absoluteString + "/" + blob.split(separator: "/", omittingEmptySubsequences: false).map(Self.encoded).joined(separator: "/")
    }

    private static func encoded(_ segment: Substring) -> String {
        var text = ""
        for byte in segment.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~".utf8.contains(byte) {
                text.append(Character(UnicodeScalar(byte)))
            } else {
                text += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return text
    }

    private func malformed(_ operation: String, _ blob: String, _ message: String) -> BlobStorageError {
        BlobStorageError(operation: operation, url: url(blob), status: 0, code: "MalformedResponse", message: message, requestID: nil)
    }

    /// Sends one request until Storage answers 2xx (or a status in `accepting`), a final error, or
    /// the retries run out.
    private func send(
        _ operation: String,
        method: String,
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8] = [],
        accepting: Set<Int> = [],
        idempotent: Bool = true
    ) async throws -> HTTPResponseData {
        guard let target = URL(string: url) else { throw malformed(operation, "", "the URL \(url) is not valid") }
        var log = logger
        log[metadataKey: "storage_operation"] = .string(operation)
        let logger = log
        let (transport, timeout) = (self.transport, self.timeout)
        let hooks = AuthenticatedRequestLoop.Hooks(
            send: { request in try await transport.send(request, timeout: timeout) },
            // Storage's 401 for an expired or revoked token: once more with a fresh one.
            refreshHeals: { _ in true },
            retrying: { reason, delay, _ in
                switch reason {
                case .transport(let error):
                    logger.notice(
                        "Blob Storage request failed, retrying",
                        metadata: .fields([.error: "\(error)", .retryInMilliseconds: "\(delay.milliseconds)"])
                    )
                case .status(let response), .unusableAnswer(let response):
                    logger.notice(
                        "Blob Storage answered with a retryable error; retrying",
                        metadata: .fields([
                            .httpStatus: "\(response.status)", .error: .string(response.header("x-ms-error-code") ?? ""),
                            .retryInMilliseconds: "\(delay.milliseconds)",
                        ])
                    )
                }
            }
        )
        let common = [
            ("x-ms-version", Self.version), ("x-ms-date", DataPlaneSignature.httpDate(Date())),
            ("x-ms-client-request-id", UUID().uuidString.lowercased()),
            ("User-Agent", "keyrotd/" + KeyrotdVersion.current),
        ]
        let answer = try await AuthenticatedRequestLoop(credential: credential, retry: retry, sleep: sleep).send(
            .init(operation: operation, method: method, url: target, headers: common + headers, body: body, idempotent: idempotent),
            scope: .fixed(Self.scope),
            hooks: hooks
        )
        guard (200...299).contains(answer.response.status) || accepting.contains(answer.response.status) else {
            throw BlobStorageError(operation, url: String(url.prefix { $0 != "?" }), response: answer.response)
        }
        return answer.response
    }
}
