import SystemPackage

extension FileDescriptor {
    /// Reads from the current offset until `limit` bytes or the end of the file, whichever is first.
    ///
    /// For the files keyrotd reads whole or in part (its configuration, credentials, consumers'
    /// acknowledgements); the `Errno` of a failure is the reason an operator needs.
    public func read(upTo limit: Int) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit, 64 * 1024))
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { buffer in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]), retryOnInterrupt: true)
                }
            } catch {
                throw (error as? Errno) ?? .ioError  // it throws only Errno, untyped
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes
    }
}
