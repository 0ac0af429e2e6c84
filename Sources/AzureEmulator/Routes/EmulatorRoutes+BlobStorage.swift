import Crypto
import FoundationEssentials

/// Blob Storage, path-style at `{base}/{account}/{container}/{blob}` as Azurite serves it: what
/// keyrotd's high-availability journal and lease use and what `azure-storage-blob` sends.
/// Containers (create, properties, delete, list, lease) and block blobs (Put Blob, Get Blob with
/// ranges, properties, metadata, delete, lease), the conditional headers, the lease state machine
/// of ``BlobLease``, XML errors with `x-ms-error-code`, and Shared Key or Entra tokens for Storage
/// (the reader principal may only read). Test controls put faults on lease and blob calls and
/// expire or break a lease at once.
extension EmulatorRoutes {
    /// The audience of Storage tokens (`https://storage.azure.com/.default`).
    static let storageAudience = "https://storage.azure.com"
    /// The `x-ms-version` answered when the request names none.
    static let storageVersion = "2026-10-06"

    /// `/{account}/…`: one Blob Storage request.
    func blobStorage(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        await state.count { $0.storageRequests += 1 }
        await delay(within: configuration.faults.storageLatency)
        let isLease = request.query["comp"] == "lease"
        if let fault = await state.storageFault(for: isLease ? .lease : .blob) {
            switch fault {
            case .hang: return .hang
            case .reset: return .reset
            case .status(let status): return storageError(StorageError(injected: status), request)
            }
        }
        let canWrite: Bool
        switch await storageCaller(request) {
        case .success(let writer): canWrite = writer
        case .failure(let refusal): return await refused(refusal.error, request, headers: refusal.headers)
        }
        do throws(StorageError) {
            guard request.headers["x-ms-version"] != nil else { throw StorageError(status: 400, code: "MissingRequiredHeader") }
            if request.method != "GET", request.method != "HEAD", !canWrite {
                throw StorageError(status: 403, code: "AuthorizationPermissionMismatch")
            }
            let path = segments.dropFirst().map(EmulatorRequest.percentDecode)
            guard let container = path.first else { throw StorageError(status: 400, code: "InvalidQueryParameterValue") }
            let blob = path.count > 1 ? path.dropFirst().joined(separator: "/") : nil
            let answer: EmulatorResponse
            if isLease {
                guard request.method == "PUT", blob != nil || request.query["restype"] == "container" else {
                    throw StorageError(status: 405, code: "UnsupportedHttpVerb")
                }
                answer = try await lease(request, container, blob)
            } else if let blob {
                answer = try await blobCall(request, container, blob)
            } else if request.query["restype"] == "container" {
                answer = try await containerCall(request, container)
            } else {
                throw StorageError(status: 400, code: "InvalidQueryParameterValue")
            }
            return answer
        } catch {
            return await refused(error, request)
        }
    }

    // MARK: - Containers

    private func containerCall(_ request: EmulatorRequest, _ container: String) async throws(StorageError) -> EmulatorResponse {
        let now = Date()
        switch (request.method, request.query["comp"]) {
        case ("PUT", nil):
            let created = try await state.withBlobs { (store) throws(StorageError) in
                try store.createContainer(container, metadata: Self.metadata(request), now: now)
            }
            await state.count { $0.storageWrites += 1 }
            return storageAnswer(201, request, [("ETag", created.etag), ("Last-Modified", HTTPDate.format(created.lastModified))])
        case ("GET", nil), ("HEAD", nil):
            let leaseID = try BlobLease.leaseID(request.headers["x-ms-lease-id"])
            let found = try await state.withBlobs { (store) throws(StorageError) in try store.container(container, leaseID: leaseID, now: now) }
            let headers =
                [("ETag", found.etag), ("Last-Modified", HTTPDate.format(found.lastModified))] + found.lease.headers(at: now)
                + Self.metadataHeaders(found.metadata)
            return storageAnswer(200, request, headers)
        case ("DELETE", nil):
            let leaseID = try BlobLease.leaseID(request.headers["x-ms-lease-id"])
            let conditions = try Self.conditions(request)
            try await state.withBlobs { (store) throws(StorageError) in
                try store.deleteContainer(container, leaseID: leaseID, conditions: conditions, now: now)
            }
            await state.count { $0.storageWrites += 1 }
            return storageAnswer(202, request, [])
        case ("GET", "list"):
            let prefix = request.query["prefix"] ?? ""
            // Azure answers at most `maxresults` (5,000 when absent or larger) and a NextMarker to
            // go on from; the marker here is the name the next page starts at.
            guard let maxResults = Int(request.query["maxresults"] ?? "5000"), maxResults > 0 else {
                throw StorageError(status: 400, code: "OutOfRangeQueryParameterValue")
            }
            let marker = request.query["marker"] ?? ""
            let all = try await state.withBlobs { (store) throws(StorageError) in
                try store.list(container, prefix: prefix, now: now)
            }
            let page = all.drop { $0.name < marker }.prefix(min(maxResults, 5000))
            let next = all.drop { $0.name < marker }.dropFirst(page.count).first?.name
            return storageAnswer(
                200,
                request,
                [("Content-Type", "application/xml")],
                body: listing(request, container, prefix: prefix, Array(page), next: next, now: now)
            )
        default:
            throw StorageError(status: 405, code: "UnsupportedHttpVerb")
        }
    }

    /// The List Blobs answer: each blob's name and the properties the SDK reads.
    private func listing(
        _ request: EmulatorRequest,
        _ container: String,
        prefix: String,
        _ blobs: [(name: String, blob: BlobStore.Blob)],
        next: String?,
        now: Date
    ) -> [UInt8] {
        var xml =
            #"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="\#(baseURL(request))/\#(configuration.storageAccount)/" ContainerName="\#(Self.escaped(container))">"#
        xml += "<Prefix>\(Self.escaped(prefix))</Prefix><Blobs>"
        for (name, blob) in blobs {
            let lease = Dictionary(blob.lease.headers(at: now), uniquingKeysWith: { first, _ in first })
            xml += "<Blob><Name>\(Self.escaped(name))</Name><Properties>"
            xml +=
                "<Creation-Time>\(HTTPDate.format(blob.created))</Creation-Time><Last-Modified>\(HTTPDate.format(blob.lastModified))</Last-Modified>"
            xml +=
                "<Etag>\(blob.etag)</Etag><Content-Length>\(blob.data.count)</Content-Length><Content-Type>\(Self.escaped(blob.contentType))</Content-Type>"
            xml += "<BlobType>BlockBlob</BlobType><LeaseStatus>\(lease["x-ms-lease-status"] ?? "unlocked")</LeaseStatus>"
            xml += "<LeaseState>\(lease["x-ms-lease-state"] ?? "available")</LeaseState>"
            if let duration = lease["x-ms-lease-duration"] { xml += "<LeaseDuration>\(duration)</LeaseDuration>" }
            xml += "</Properties></Blob>"
        }
        xml += "</Blobs>" + (next.map { "<NextMarker>\(Self.escaped($0))</NextMarker>" } ?? "<NextMarker />") + "</EnumerationResults>"
        return Array(xml.utf8)
    }

    // MARK: - Blobs

    private func blobCall(_ request: EmulatorRequest, _ container: String, _ blob: String) async throws(StorageError) -> EmulatorResponse {
        let now = Date()
        let leaseID = try BlobLease.leaseID(request.headers["x-ms-lease-id"])
        let conditions = try Self.conditions(request)
        switch (request.method, request.query["comp"]) {
        case ("PUT", nil):
            guard let type = request.headers["x-ms-blob-type"] else { throw StorageError(status: 400, code: "MissingRequiredHeader") }
            // Append and page blobs are not served: keyrotd's journal uses block blobs only.
            guard type == "BlockBlob" else { throw StorageError(status: 400, code: "UnsupportedHeader") }
            // The handler keeps at most 1 MiB: a longer body must not be stored cut short.
            guard Int(request.headers["content-length"] ?? "") == request.body.count else {
                throw StorageError(status: 413, code: "RequestBodyTooLarge")
            }
            let contentType = request.headers["x-ms-blob-content-type"] ?? "application/octet-stream"
            let metadata = Self.metadata(request)
            let data = request.body
            let written = try await state.withBlobs { (store) throws(StorageError) in
                try store.put(
                    container,
                    blob,
                    data: data,
                    contentType: contentType,
                    metadata: metadata,
                    leaseID: leaseID,
                    conditions: conditions,
                    now: now
                )
            }
            await state.count {
                $0.storageWrites += 1
                $0.storageBytesWritten += data.count
            }
            await state.record(AuditEvent(at: 0, kind: .blobWritten, blob: container + "/" + blob, epoch: AuditEvent.epoch(ofJSON: data)))
            let md5 = Data(Insecure.MD5.hash(data: data)).base64EncodedString()
            return storageAnswer(
                201,
                request,
                [
                    ("ETag", written.etag), ("Last-Modified", HTTPDate.format(written.lastModified)), ("Content-MD5", md5),
                    ("x-ms-request-server-encrypted", "true"),
                ]
            )
        case ("GET", nil), ("HEAD", nil):
            let found = try await state.withBlobs { (store) throws(StorageError) in
                try store.get(container, blob, leaseID: leaseID, conditions: conditions, now: now)
            }
            return try read(request, found, now: now)
        case ("PUT", "metadata"):
            let metadata = Self.metadata(request)
            let written = try await state.withBlobs { (store) throws(StorageError) in
                try store.setMetadata(container, blob, metadata: metadata, leaseID: leaseID, conditions: conditions, now: now)
            }
            await state.count { $0.storageWrites += 1 }
            return storageAnswer(200, request, [("ETag", written.etag), ("Last-Modified", HTTPDate.format(written.lastModified))])
        case ("DELETE", nil):
            try await state.withBlobs { (store) throws(StorageError) in
                try store.delete(container, blob, leaseID: leaseID, conditions: conditions, now: now)
            }
            await state.count { $0.storageWrites += 1 }
            return storageAnswer(202, request, [("x-ms-delete-type-permanent", "true")])
        default:
            throw StorageError(status: 405, code: "UnsupportedHttpVerb")
        }
    }

    /// Get Blob (200, or 206 with `Content-Range` for a range) or its properties (HEAD).
    private func read(_ request: EmulatorRequest, _ blob: BlobStore.Blob, now: Date) throws(StorageError) -> EmulatorResponse {
        var headers: [(String, String)] = [
            ("ETag", blob.etag), ("Last-Modified", HTTPDate.format(blob.lastModified)), ("Content-Type", blob.contentType),
            ("Accept-Ranges", "bytes"), ("x-ms-blob-type", "BlockBlob"), ("x-ms-creation-time", HTTPDate.format(blob.created)),
            ("x-ms-server-encrypted", "true"),
        ]
        headers += blob.lease.headers(at: now) + Self.metadataHeaders(blob.metadata)
        guard request.method == "GET" else {
            return storageAnswer(200, request, headers + [("Content-Length", String(blob.data.count))])
        }
        guard let range = try Self.range(request, size: blob.data.count) else { return storageAnswer(200, request, headers, body: blob.data) }
        headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(blob.data.count)"))
        return storageAnswer(206, request, headers, body: Array(blob.data[range]))
    }

    // MARK: - Leases

    private func lease(_ request: EmulatorRequest, _ container: String, _ blob: String?) async throws(StorageError) -> EmulatorResponse {
        let action = try Self.leaseAction(request)
        let conditions = try Self.conditions(request)
        let now = Date()
        let answer = try await state.withBlobs { (store) throws(StorageError) in
            try store.lease(container, blob, action, conditions: conditions, now: now)
        }
        await state.count { $0.leaseActions += 1 }
        var headers = [("ETag", answer.etag), ("Last-Modified", HTTPDate.format(answer.lastModified))]
        if let id = answer.id { headers.append(("x-ms-lease-id", id)) }
        if let time = answer.time { headers.append(("x-ms-lease-time", String(time))) }
        return storageAnswer(answer.status, request, headers)
    }

    /// The action `x-ms-lease-action` names, with the headers it needs (400 when one is missing or malformed).
    private static func leaseAction(_ request: EmulatorRequest) throws(StorageError) -> BlobStore.LeaseAction {
        let missing = StorageError(status: 400, code: "MissingRequiredHeader")
        let id = try BlobLease.leaseID(request.headers["x-ms-lease-id"])
        let proposed = try BlobLease.leaseID(request.headers["x-ms-proposed-lease-id"])
        switch request.headers["x-ms-lease-action"]?.lowercased() {
        case "acquire":
            return .acquire(proposed: proposed, duration: try BlobLease.duration(request.headers["x-ms-lease-duration"]))
        case "renew":
            guard let id else { throw missing }
            return .renew(id: id)
        case "change":
            guard let id, let proposed else { throw missing }
            return .change(id: id, proposed: proposed)
        case "release":
            guard let id else { throw missing }
            return .release(id: id)
        case "break":
            return .breakLease(period: try BlobLease.breakPeriod(request.headers["x-ms-lease-break-period"]))
        case nil:
            throw missing
        default:
            throw StorageError(status: 400, code: "InvalidHeaderValue")
        }
    }

    // MARK: - Authentication

    private struct StorageRefusal: Error {
        var error: StorageError
        var headers: [(String, String)] = []
    }

    /// Whether the caller may write, or the refusal: Shared Key with the account's key, or an
    /// Entra token for Storage (the writer principal and the identities are Storage Blob Data
    /// Contributors, the reader a Storage Blob Data Reader).
    private func storageCaller(_ request: EmulatorRequest) async -> Result<Bool, StorageRefusal> {
        let account = configuration.storageAccount
        let authorization = request.headers["authorization"] ?? ""
        let challenge = [
            ("WWW-Authenticate", "Bearer authorization_uri=\(baseURL(request))/\(state.tenant)/oauth2/authorize resource_id=\(Self.storageAudience)")
        ]
        if authorization.hasPrefix("SharedKey ") {
            let text = Self.sharedKeyString(request, account: account, headerPrefix: "x-ms-")
            let signature = authorization.dropFirst("SharedKey \(account):".count)
            guard authorization.hasPrefix("SharedKey \(account):"), let date = request.headers["x-ms-date"], Self.isFresh(date),
                let key = Data(base64Encoded: state.blobAccountKey), Self.hmac(text, key) == signature
            else { return .failure(StorageRefusal(error: StorageError(status: 403, code: "AuthenticationFailed"))) }
            return .success(true)
        }
        guard authorization.lowercased().hasPrefix("bearer ") else {
            return .failure(StorageRefusal(error: StorageError(status: 401, code: "NoAuthenticationInformation"), headers: challenge))
        }
        let invalid = StorageRefusal(error: StorageError(status: 401, code: "InvalidAuthenticationInfo"), headers: challenge)
        switch await state.verify(token: String(authorization.dropFirst(7))) {
        case .invalid, .expired:
            return .failure(invalid)
        case .revoked(let notBefore):
            let parameters = "authorization_uri=\"\(baseURL(request))/\(state.tenant)/oauth2/authorize\", resource_id=\"\(Self.storageAudience)\""
            return .failure(
                StorageRefusal(error: invalid.error, headers: [("WWW-Authenticate", await claimsChallenge(parameters, notBefore: notBefore))])
            )
        case .valid(let principal, let audience):
            guard audience == Self.storageAudience || audience == Self.storageAudience + "/" else { return .failure(invalid) }
            return .success(principal.canWrite)
        }
    }

    // MARK: - Headers and answers

    private static func conditions(_ request: EmulatorRequest) throws(StorageError) -> BlobStore.Conditions {
        func date(_ name: String) throws(StorageError) -> Date? {
            guard let text = request.headers[name] else { return nil }
            guard let date = HTTPDate.parse(text) else { throw StorageError(status: 400, code: "InvalidHeaderValue") }
            return date
        }
        return BlobStore.Conditions(
            ifMatch: request.headers["if-match"],
            ifNoneMatch: request.headers["if-none-match"],
            ifModifiedSince: try date("if-modified-since"),
            ifUnmodifiedSince: try date("if-unmodified-since")
        )
    }

    /// `x-ms-range` (or `Range`) as byte offsets within a blob of `size` bytes: `nil` for none;
    /// 416 `InvalidRange` when it starts past the end (an empty blob has no range).
    private static func range(_ request: EmulatorRequest, size: Int) throws(StorageError) -> ClosedRange<Int>? {
        guard let header = request.headers["x-ms-range"] ?? request.headers["range"] else { return nil }
        let bounds = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard header.hasPrefix("bytes="), bounds.count == 2, let start = Int(bounds[0]), start >= 0 else {
            throw StorageError(status: 400, code: "InvalidHeaderValue")
        }
        let end = bounds[1].isEmpty ? size - 1 : Int(bounds[1])
        guard let end, end >= start else { throw StorageError(status: 400, code: "InvalidHeaderValue") }
        guard start < size else { throw StorageError(status: 416, code: "InvalidRange") }
        return start...min(end, size - 1)
    }

    private static func metadata(_ request: EmulatorRequest) -> [String: String] {
        var metadata: [String: String] = [:]
        for (name, value) in request.headers where name.hasPrefix("x-ms-meta-") { metadata[String(name.dropFirst("x-ms-meta-".count))] = value }
        return metadata
    }

    private static func metadataHeaders(_ metadata: [String: String]) -> [(String, String)] {
        metadata.sorted { $0.key < $1.key }.map { ("x-ms-meta-\($0.key)", $0.value) }
    }

    /// An answer with the headers every Blob Storage answer carries.
    private func storageAnswer(_ status: Int, _ request: EmulatorRequest, _ headers: [(String, String)], body: [UInt8] = []) -> EmulatorResponse {
        var common = [
            ("x-ms-request-id", UUID().uuidString.lowercased()), ("x-ms-version", request.headers["x-ms-version"] ?? Self.storageVersion),
            ("Date", HTTPDate.format(Date())), ("Server", "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"),
        ]
        if let id = request.headers["x-ms-client-request-id"] { common.append(("x-ms-client-request-id", id)) }
        return .respond(status: status, headers: common + headers, body: body)
    }

    /// A refusal counted as one.
    private func refused(_ error: StorageError, _ request: EmulatorRequest, headers: [(String, String)] = []) async -> EmulatorResponse {
        await state.count { $0.storageRefusals += 1 }
        return storageError(error, request, headers: headers)
    }

    /// An error as Storage answers: `x-ms-error-code` and, but for HEAD and 304, the XML body.
    private func storageError(_ error: StorageError, _ request: EmulatorRequest, headers: [(String, String)] = []) -> EmulatorResponse {
        let answer = storageAnswer(error.status, request, [("x-ms-error-code", error.code)] + headers)
        guard request.method != "HEAD", error.status != 304, case .respond(let status, let headers, _) = answer else { return answer }
        let requestID = headers.first { $0.0 == "x-ms-request-id" }?.1 ?? ""
        let xml =
            #"<?xml version="1.0" encoding="utf-8"?><Error><Code>\#(error.code)</Code><Message>\#(Self.escaped(error.message))"#
            + "\nRequestId:\(requestID)\nTime:\(Self.timestamp(Date()))</Message></Error>"
        return .respond(status: status, headers: headers + [("Content-Type", "application/xml")], body: Array(xml.utf8))
    }

    private static func escaped(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }
}
