import FoundationEssentials

/// The record on disk. Version 2 writes the step with its data:
///
/// ```json
/// {"formatVersion": 2, "resourceID": "/subscriptions/…", "published": "secondary",
///  "step": {"rotating": {"startedAt": 1798592060, "phase": {"grace": {"until": 1798595600, "then": "primary"}}}},
///  "retry": {"at": …, "failures": 1, "lastError": {"message": "…", "code": "Conflict", "at": …}}, …}
/// ```
///
/// `step` is `"adopting"`, `"idle"` or `{"rotating": …}`. Version 1 (keyrotd before the step held its
/// data) is read and upgraded in memory; the next save writes version 2.
extension ResourceState: Codable {
    private enum CodingKeys: String, CodingKey {
        case formatVersion, resourceID, step, published, publishedKey, publishedFile, primaryUnpublishedAt, secondaryUnpublishedAt
        case nextDue, lastRotation, rotations, regenerations, retry
    }

    /// A record keyrotd cannot read: written by a newer release.
    public struct UnknownFormat: Error, Sendable, CustomStringConvertible {
        /// The version the record says it has.
        public var version: Int

        public var description: String {
            "state record format \(version) was written by a newer keyrotd than this one (which reads formats 1 and 2); run that release, or move the record aside to have the resource adopted afresh"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decodeIfPresent(Int.self, forKey: .formatVersion) ?? 1
        switch version {
        case 1:
            self = try FormatOne(from: decoder).upgraded
            return
        case Self.formatVersion:
            break
        default:
            throw UnknownFormat(version: version)
        }
        resourceID = try container.decode(String.self, forKey: .resourceID)
        step = try container.decode(RotationStep.self, forKey: .step)
        published = try container.decode(KeySlot.self, forKey: .published)
        publishedKey = try container.decodeIfPresent(KeyFingerprint.self, forKey: .publishedKey)
        publishedFile = try container.decodeIfPresent(KeyFingerprint.self, forKey: .publishedFile)
        primaryUnpublishedAt = try container.decodeIfPresent(Date.self, forKey: .primaryUnpublishedAt)
        secondaryUnpublishedAt = try container.decodeIfPresent(Date.self, forKey: .secondaryUnpublishedAt)
        nextDue = try container.decode(Date.self, forKey: .nextDue)
        lastRotation = try container.decodeIfPresent(Date.self, forKey: .lastRotation)
        rotations = try container.decode(Int.self, forKey: .rotations)
        regenerations = try container.decode(Int.self, forKey: .regenerations)
        retry = try container.decodeIfPresent(Retry.self, forKey: .retry)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .formatVersion)
        try container.encode(resourceID, forKey: .resourceID)
        try container.encode(step, forKey: .step)
        try container.encode(published, forKey: .published)
        try container.encodeIfPresent(publishedKey, forKey: .publishedKey)
        try container.encodeIfPresent(publishedFile, forKey: .publishedFile)
        try container.encodeIfPresent(primaryUnpublishedAt, forKey: .primaryUnpublishedAt)
        try container.encodeIfPresent(secondaryUnpublishedAt, forKey: .secondaryUnpublishedAt)
        try container.encode(nextDue, forKey: .nextDue)
        try container.encodeIfPresent(lastRotation, forKey: .lastRotation)
        try container.encode(rotations, forKey: .rotations)
        try container.encode(regenerations, forKey: .regenerations)
        try container.encodeIfPresent(retry, forKey: .retry)
    }
}

extension RotationStep: Codable {
    private enum CodingKeys: String, CodingKey { case rotating }

    public init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            switch name {
            case "adopting": self = .adopting
            case "idle": self = .idle
            default:
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown step \(name)"))
            }
            return
        }
        self = .rotating(try decoder.container(keyedBy: CodingKeys.self).decode(Rotation.self, forKey: .rotating))
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .adopting, .idle:
            var container = encoder.singleValueContainer()
            try container.encode(name)
        case .rotating(let rotation):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rotation, forKey: .rotating)
        }
    }
}

extension Rotation.Phase: Codable {
    private enum CodingKeys: String, CodingKey { case regenerating, publishing, grace, retiring }
    private enum PublishingKeys: String, CodingKey { case slot, final }
    private enum GraceKeys: String, CodingKey { case until, then }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.regenerating) {
            self = .regenerating(try container.decode(Regeneration.self, forKey: .regenerating))
        } else if container.contains(.retiring) {
            self = .retiring(try container.decode(KeySlot.self, forKey: .retiring))
        } else if container.contains(.publishing) {
            let publishing = try container.nestedContainer(keyedBy: PublishingKeys.self, forKey: .publishing)
            self = .publishing(slot: try publishing.decode(KeySlot.self, forKey: .slot), final: try publishing.decode(Bool.self, forKey: .final))
        } else {
            let grace = try container.nestedContainer(keyedBy: GraceKeys.self, forKey: .grace)
            self = .grace(until: try grace.decode(Date.self, forKey: .until), then: try grace.decode(KeySlot.self, forKey: .then))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .regenerating(let regeneration):
            try container.encode(regeneration, forKey: .regenerating)
        case .publishing(let slot, let final):
            var publishing = container.nestedContainer(keyedBy: PublishingKeys.self, forKey: .publishing)
            try publishing.encode(slot, forKey: .slot)
            try publishing.encode(final, forKey: .final)
        case .retiring(let slot):
            try container.encode(slot, forKey: .retiring)
        case .grace(let until, let then):
            var grace = container.nestedContainer(keyedBy: GraceKeys.self, forKey: .grace)
            try grace.encode(until, forKey: .until)
            try grace.encode(then, forKey: .then)
        }
    }
}

/// A record of format 1, as keyrotd wrote it before the step held its data: the rotation's start,
/// emergency, long-running operation, window and failure were fields beside the step.
private struct FormatOne: Decodable {
    enum Step: Decodable {
        case adopting
        case idle
        case regenerating(slot: KeySlot, final: Bool)
        case publishing(slot: KeySlot, final: Bool)
        case grace(until: Date, regenerate: KeySlot)
    }

    var resourceID: String
    var step: Step
    var published: KeySlot
    var publishedKey: KeyFingerprint?
    var publishedFile: KeyFingerprint?
    var primaryUnpublishedAt: Date?
    var secondaryUnpublishedAt: Date?
    var nextDue: Date
    var rotationStartedAt: Date?
    var lastRotation: Date?
    var rotations: Int
    var regenerations: Int
    var lastError: String?
    var lastErrorAt: Date?
    var consecutiveFailures: Int
    var emergencySince: Date?
    var retryAt: Date?
    var pendingOperation: LongRunningOperation?
    var windowOpensAt: Date?

    /// The same record in today's layout. A window waited for while idle belonged to no rotation
    /// then; the rotation due now starts and finds the window again.
    var upgraded: ResourceState {
        var state = ResourceState(resourceID: resourceID, adoptedAt: nextDue)
        state.published = published
        state.publishedKey = publishedKey
        state.publishedFile = publishedFile
        state.primaryUnpublishedAt = primaryUnpublishedAt
        state.secondaryUnpublishedAt = secondaryUnpublishedAt
        state.nextDue = nextDue
        state.lastRotation = lastRotation
        state.rotations = rotations
        state.regenerations = regenerations
        if consecutiveFailures > 0 {
            // Format 1 cleared the retry instant of an emergency but kept the count.
            let lastError = RecordedError(message: self.lastError ?? "a failure", code: nil, at: lastErrorAt ?? retryAt ?? nextDue)
            state.retry = Retry(at: retryAt ?? lastError.at, failures: consecutiveFailures, lastError: lastError)
        }
        let phase: Rotation.Phase
        switch step {
        case .adopting:
            state.step = .adopting
            return state
        case .idle:
            guard let emergencySince else {
                state.step = .idle
                return state
            }
            // An emergency declared while idle (its rotation had not begun: the file was repaired first).
            phase = .regenerating(Regeneration(slot: published.other, final: false))
        case .regenerating(let slot, let final):
            let operation = pendingOperation?.slot == slot ? pendingOperation : nil
            phase = .regenerating(Regeneration(slot: slot, final: final, operation: operation, windowOpensAt: windowOpensAt))
        case .publishing(let slot, let final):
            phase = .publishing(slot: slot, final: final)
        case .grace(let until, let slot):
            phase = .grace(until: until, then: slot)
        }
        // A rotation recorded without its start (none was, but the field was optional) started no later than now.
        state.step = .rotating(Rotation(startedAt: rotationStartedAt ?? emergencySince ?? nextDue, emergencySince: emergencySince, phase: phase))
        return state
    }
}
