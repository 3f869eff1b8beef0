#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few POSIX file calls the persistent queue makes, each retried on EINTR and checked.
enum PosixFile {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o640) throws(FileError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw FileError("open", path) }
        }
    }

    /// Writes all of `bytes` at `offset` (pwrite may write less than asked).
    static func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n > 0 { done += n } else if n < 0, errno == EINTR { continue } else { throw FileError("write", path, n < 0 ? errno : EIO) }
        }
    }

    /// Reads exactly `count` bytes at `offset`; a short file is an error.
    static func read(_ fd: Int32, count: Int, at offset: Int, path: String) throws(FileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n > 0 { done += n } else if n < 0, errno == EINTR { continue } else { throw FileError("read", path, n < 0 ? errno : EIO) }
        }
        return bytes
    }

    /// Reads `count` bytes at `offset` of the file at `path`.
    static func read(_ path: String, count: Int, at offset: Int) throws(FileError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { _ = close(fd) }
        return try read(fd, count: count, at: offset, path: path)
    }

    /// Writes `bytes` at `offset` of the file at `path`, creating it if needed.
    static func write(_ path: String, _ bytes: [UInt8], at offset: Int) throws(FileError) {
        let fd = try open(path, O_WRONLY | O_CREAT)
        defer { _ = close(fd) }
        try write(fd, bytes, at: offset, path: path)
    }

    /// Opens the file at `path` and syncs it; a file deleted meanwhile needs nothing.
    static func sync(_ path: String) throws(FileError) {
        let fd: Int32
        do { fd = try open(path, O_RDONLY) } catch where error.code == ENOENT { return }
        defer { _ = close(fd) }
        try sync(fd, path: path)
    }

    static func size(_ fd: Int32, path: String) throws(FileError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError("stat", path) }
        return Int(info.st_size)
    }

    /// The whole file.
    static func readAll(_ path: String) throws(FileError) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { _ = close(fd) }
        return try read(fd, count: try size(fd, path: path), at: 0, path: path)
    }

    /// fdatasync: the data and the size, which is what a reader after a power loss needs.
    static func sync(_ fd: Int32, path: String) throws(FileError) {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw FileError("fsync", path) }
        }
    }

    static func remove(_ path: String) throws(FileError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileError("unlink", path) }
    }

    /// The names in `directory`, without `.` and `..`.
    static func list(_ directory: String) throws(FileError) -> [String] {
        guard let dir = opendir(directory) else { throw FileError("opendir", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String, mode: mode_t) throws(FileError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0, errno != EEXIST { throw FileError("mkdir", prefix) }
        }
        guard isDirectory(path) else { throw FileError("mkdir", path, ENOTDIR) }
    }
}

/// What tells a file's content changed without reading it: device, inode, size and mtime.
struct FileIdentity: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    /// Of the file `path` names (following symbolic links, so a swapped link target counts).
    init(of path: String) throws(FileError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError("stat", path) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int(info.st_size)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
