import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Testing

private func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

private func entries(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

struct AtomicFileWriterTests {
    @Test func writesWithTheConfiguredModeAndGroupAndLeavesNoTemporaryFile() throws {
        let dir = try temporaryDirectory()
        let group = getgrnam("daemon")?.pointee.gr_gid ?? getgid()
        try AtomicFileWriter().write(Array("one".utf8), to: "s.conn", in: dir, mode: 0o640, group: group)
        try AtomicFileWriter().write(Array("two".utf8), to: "s.conn", in: dir, mode: 0o640, group: group)
        var info = stat()
        #expect(stat(dir + "/s.conn", &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o640)
        #expect(info.st_gid == group)
        #expect(contents(dir + "/s.conn") == "two")
        #expect(entries(dir) == ["s.conn"])
    }

    @Test func refusesASymbolicLinkTarget() throws {
        let dir = try temporaryDirectory()
        try "victim".write(toFile: dir + "/victim", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/s.conn", withDestinationPath: dir + "/victim")
        #expect(throws: FileSystemError.self) {
            try AtomicFileWriter().write(Array("key".utf8), to: "s.conn", in: dir, mode: 0o600)
        }
        #expect(contents(dir + "/victim") == "victim")
        #expect(entries(dir) == ["s.conn", "victim"])
    }

    @Test func refusesASymbolicLinkDirectory() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
        let error = #expect(throws: FileSystemError.self) {
            try AtomicFileWriter().write(Array("key".utf8), to: "s.conn", in: dir + "/link", mode: 0o600)
        }
        #expect(error?.description.contains("symbolic link") == true)
        #expect(entries(dir + "/real").isEmpty)
    }

    @Test(arguments: ["fchown", "fchmod", "write", "fsync", "rename"])
    func aFailureAtAnyStepKeepsThePreviousFile(step: String) throws {
        let dir = try temporaryDirectory()
        try AtomicFileWriter().write(Array("old".utf8), to: "s.conn", in: dir, mode: 0o600)
        let failing = AtomicFileWriter { current in
            if current == step { throw FileSystemError(current, path: dir, errno: EIO) }
        }
        #expect(throws: FileSystemError.self) {
            try failing.write(Array("new".utf8), to: "s.conn", in: dir, mode: 0o600)
        }
        #expect(contents(dir + "/s.conn") == "old")
        #expect(entries(dir) == ["s.conn"])
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullFileSystemKeepsThePreviousFile() throws {
        let dir = try temporaryDirectory()
        guard mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0 else {
            Issue.record("cannot mount a tmpfs: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(dir, Int32(MNT_DETACH)) }
        try AtomicFileWriter().write(Array("old".utf8), to: "s.conn", in: dir, mode: 0o600)
        let big = [UInt8](repeating: 65, count: 256 * 1024)
        let error = #expect(throws: FileSystemError.self) {
            try AtomicFileWriter().write(big, to: "s.conn", in: dir, mode: 0o600)
        }
        #expect(error?.errno == ENOSPC)
        #expect(contents(dir + "/s.conn") == "old")
        #expect(entries(dir) == ["s.conn"])
    }
}

struct InstanceLockTests {
    @Test func aSecondHolderIsRefusedUntilTheFirstReleases() throws {
        let dir = try temporaryDirectory()
        var first: InstanceLock? = try InstanceLock(stateDirectory: dir)
        let error = #expect(throws: InstanceLock.Held.self) { try InstanceLock(stateDirectory: dir) }
        #expect(error?.holderPID == getpid())
        withExtendedLifetime(first) {}
        first = nil
        // Another test's child process, between its fork and its exec, may still share the closed
        // descriptor (and with it the lock) for a moment: the kernel releases it at that exec.
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                _ = try InstanceLock(stateDirectory: dir)
                return
            } catch let held as InstanceLock.Held where ContinuousClock.now < deadline {
                _ = held
                usleep(10_000)
            }
        }
    }
}
