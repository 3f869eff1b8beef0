import Diagnostics

/// Header fields kept as ranges into the raw head; a `String` is made only for a field someone asks for.
public struct HTTPHeaders: Sendable, Sequence {
    struct Field: Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    let storage: [UInt8]
    let fields: [Field]

    init(storage: [UInt8], fields: [Field]) {
        self.storage = storage
        self.fields = fields
    }

    public init(_ pairs: [(String, String)]) {
        var storage: [UInt8] = []
        var fields: [Field] = []
        for (name, value) in pairs {
            let nameStart = storage.count
            storage.append(contentsOf: name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: value.utf8)
            fields.append(Field(name: nameStart..<valueStart, value: valueStart..<storage.count))
        }
        self.storage = storage
        self.fields = fields
    }

    public var count: Int { fields.count }

    /// The first value of the field named `name` (case-insensitive).
    public subscript(name: String) -> String? {
        var name = name
        return name.withUTF8 { key in fields.first { matches($0, key) }.map { string($0.value) } }
    }

    /// All values of fields named `name`, in order (not split at commas).
    public func values(_ name: String) -> [String] {
        var name = name
        return name.withUTF8 { key in fields.filter { matches($0, key) }.map { string($0.value) } }
    }

    /// The comma-separated elements of all fields named `name`, trimmed and lowercased (RFC 9110 §5.6.1).
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingWhiteSpace().lowercased() }.filter { !$0.isEmpty }
    }

    func contains(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { key in fields.contains { matches($0, key) } }
    }

    public struct Iterator: IteratorProtocol {
        let headers: HTTPHeaders
        var index = 0

        public mutating func next() -> (name: String, value: String)? {
            guard index < headers.fields.count else { return nil }
            defer { index += 1 }
            let field = headers.fields[index]
            return (headers.string(field.name), headers.string(field.value))
        }
    }

    public func makeIterator() -> Iterator { Iterator(headers: self) }

    private func matches(_ field: Field, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        guard field.name.count == key.count else { return false }
        var i = 0
        for byte in storage[field.name] {
            guard asciiLower(byte) == asciiLower(key[i]) else { return false }
            i += 1
        }
        return true
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: storage[range], as: UTF8.self)
    }
}

/// The byte with ASCII `A`–`Z` lowered; every other byte as it is.
@inlinable @inline(__always) public func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}


public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target's path, without the query.
    public var path: String
    /// The part after `?`, without the `?`; empty when absent.
    public var query: String
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    public var headers: HTTPHeaders
    /// The body after transfer decoding and content decompression.
    public var body: [UInt8]
    public var remoteAddress: String
    /// What the server's authenticator tells of the sender once it accepted the request
    /// (upstream's `client.Info.Auth`: basicauth's `username`, `raw`); empty without `auth`.
    public var authAttributes: [String: String] = [:]

    public init(method: String, path: String, query: String = "", version: String = "HTTP/1.1",
                headers: HTTPHeaders = HTTPHeaders([]), body: [UInt8] = [], remoteAddress: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Content-Length and Connection are set by the server; other framing headers are dropped.
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Sent after the body on HTTP/2 (gRPC's status); HTTP/1.1 answers do not carry them.
    public var trailers: [(String, String)]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], trailers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ status: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(message.utf8))
    }
}

public protocol HTTPHandler: Sendable {
    /// Called once per complete request: on the connection's queue for HTTP/1.1 (answers go out in
    /// request order), on the shared pool for HTTP/2 (streams are independent). Must never wait.
    func handle(_ request: HTTPRequest) -> HTTPResponse
    /// The answer to an error the server detected itself (400, 413, 431, ...). `request` has the head
    /// (method, path, headers) but an empty body, or is nil when the head could not be parsed.
    func errorResponse(status: Int, message: String, request: HTTPRequest?) -> HTTPResponse
}

extension HTTPHandler {
    public func errorResponse(status: Int, message: String, request: HTTPRequest?) -> HTTPResponse {
        .text(status, message)
    }
}

enum HTTPStatus {
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
