import Foundation
import KeyRotation
import Testing

/// A state record as the release before format 2 wrote it (the step beside the rotation's start,
/// emergency, long-running operation, window and failure), for the package-upgrade test to leave
/// behind what that release leaves. ``FormatOneRecordTests`` holds it to the checked-in records
/// that release wrote.
enum FormatOneRecord {
    /// The JSON object of `record` in format 1 (dates as seconds since 1970, as `JSONStateStore` writes them).
    static func object(_ record: ResourceState) -> [String: Any] {
        var object: [String: Any] = [
            "formatVersion": 1, "resourceID": record.resourceID, "published": record.published.rawValue,
            "nextDue": record.nextDue.timeIntervalSince1970, "rotations": record.rotations, "regenerations": record.regenerations,
            "consecutiveFailures": record.consecutiveFailures,
        ]
        func set(_ key: String, _ value: Any?) { if let value { object[key] = value } }
        set("publishedKey", record.publishedKey?.value)
        set("publishedFile", record.publishedFile?.value)
        set("primaryUnpublishedAt", record.primaryUnpublishedAt?.timeIntervalSince1970)
        set("secondaryUnpublishedAt", record.secondaryUnpublishedAt?.timeIntervalSince1970)
        set("lastRotation", record.lastRotation?.timeIntervalSince1970)
        set("rotationStartedAt", record.rotationStartedAt?.timeIntervalSince1970)
        set("emergencySince", record.emergencySince?.timeIntervalSince1970)
        set("retryAt", record.retryAt?.timeIntervalSince1970)
        set("lastError", record.lastError)
        set("lastErrorAt", record.retry?.lastError.at.timeIntervalSince1970)
        set("windowOpensAt", record.windowOpensAt?.timeIntervalSince1970)
        if let operation = record.pendingOperation {
            object["pendingOperation"] = [
                "slot": operation.slot.rawValue, "url": operation.url, "isAsyncOperation": operation.isAsyncOperation,
                "acceptedAt": operation.acceptedAt.timeIntervalSince1970,
            ]
        }
        switch record.step {
        case .adopting: object["step"] = ["adopting": [String: Any]()]
        case .idle: object["step"] = ["idle": [String: Any]()]
        case .rotating(let rotation):
            switch rotation.phase {
            case .regenerating(let regeneration):
                object["step"] = ["regenerating": ["slot": regeneration.slot.rawValue, "final": regeneration.final]]
            case .publishing(let slot, let final):
                object["step"] = ["publishing": ["slot": slot.rawValue, "final": final]]
            case .grace(let until, let then):
                object["step"] = ["grace": ["until": until.timeIntervalSince1970, "regenerate": then.rawValue]]
            case .retiring:
                // Format 1 predates applications: none of its records is ever at this step.
                Issue.record("a format-1 record cannot hold an application's removal")
            }
        }
        return object
    }

    /// The bytes of `record` in format 1, as that release's store wrote them (sorted keys, a newline).
    static func bytes(_ record: ResourceState) throws -> Data {
        try JSONSerialization.data(withJSONObject: object(record), options: [.sortedKeys]) + Data("\n".utf8)
    }
}
