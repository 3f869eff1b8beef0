/// Errors the HTTP/1.1 parser reports; each maps to the status the server answers with.
enum HTTPParseError: Error, Equatable {
    case malformed(String)
    case headerTooLarge
    case bodyTooLarge
    case unsupportedTransferEncoding(String)
    case unsupportedContentEncoding(String)
    case badCompressedBody(String)
    case unsupportedVersion(String)
    case expectationFailed(String)
    /// The service's cap on request bytes in flight stayed reached (answered with Retry-After).
    case overloaded

    var status: Int {
        switch self {
        case .malformed, .unsupportedContentEncoding, .badCompressedBody: 400
        case .headerTooLarge: 431
        case .bodyTooLarge: 413
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion: 505
        case .expectationFailed: 417
        case .overloaded: 429
        }
    }

    var message: String {
        switch self {
        case let .malformed(reason): "malformed request: \(reason)"
        case .headerTooLarge: "request header fields too large"
        case .bodyTooLarge: "request body too large"
        case let .unsupportedTransferEncoding(coding): "unsupported Transfer-Encoding \"\(coding)\""
        case let .unsupportedContentEncoding(coding): "unsupported Content-Encoding: \(ContentCodingError(coding: coding))"
        case let .badCompressedBody(reason): "invalid compressed body: \(reason)"
        case let .unsupportedVersion(version): "unsupported HTTP version \"\(version)\""
        case let .expectationFailed(value): "unsupported expectation \"\(value)\""
        case .overloaded: "too many request bytes in flight; retry later"
        }
    }
}

enum BodyFraming: Equatable {
    case length(Int)
    case chunked
}

/// A parsed request head plus the framing decisions derived from it.
struct RequestHead {
    var method: String
    var path: String
    var query: String
    var version: String
    var minorVersion: Int
    var headers: HTTPHeaders
    var framing: BodyFraming = .length(0)
    var keepAlive = false
    var expectContinue = false
    var contentCoding: ContentCoding?

    func request(body: [UInt8], remoteAddress: String) -> HTTPRequest {
        HTTPRequest(method: method, path: path, query: query, version: version, headers: headers, body: body, remoteAddress: remoteAddress)
    }
}

private let LF: UInt8 = 0x0A
private let CR: UInt8 = 0x0D
private let SP: UInt8 = 0x20
private let HT: UInt8 = 0x09

/// RFC 9112 request parsing on raw bytes.
enum HTTPParser {
    /// Bytes of empty lines before a request line, which a server SHOULD ignore (RFC 9112 §2.2).
    static func leadingEmptyLines(_ buffer: UnsafeRawBufferPointer) -> Int {
        var i = 0
        while i < buffer.count {
            if buffer[i] == LF {
                i += 1
            } else if buffer[i] == CR, i + 1 < buffer.count, buffer[i + 1] == LF {
                i += 2
            } else {
                break
            }
        }
        return i
    }

    /// The length of the head including its empty line, or nil if incomplete. Lines may end in CRLF or
    /// a bare LF (RFC 9112 §2.2). `from` lets a caller resume the scan where the last one stopped.
    static func headLength(_ buffer: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = max(from, 0)
        while i < buffer.count {
            if buffer[i] == LF {
                if i + 1 < buffer.count, buffer[i + 1] == LF { return i + 2 }
                if i + 2 < buffer.count, buffer[i + 1] == CR, buffer[i + 2] == LF { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// Where `headLength` may resume once more bytes arrive.
    static func resumePoint(_ count: Int) -> Int { max(0, count - 3) }

    static func parseHead(_ raw: UnsafeRawBufferPointer) throws(HTTPParseError) -> RequestHead {
        let bytes = Array(raw)
        var cursor = 0
        guard let requestLine = nextLine(bytes, &cursor) else { throw .malformed("missing request line") }
        var head = try parseRequestLine(bytes, requestLine)
        var fields: [HTTPHeaders.Field] = []
        while let line = nextLine(bytes, &cursor), !line.isEmpty {
            fields.append(try parseField(bytes, line))
        }
        head.headers = HTTPHeaders(storage: bytes, fields: fields)
        return head
    }

    static func nextLine(_ bytes: [UInt8], _ cursor: inout Int) -> Range<Int>? {
        guard cursor < bytes.count, let lf = bytes[cursor...].firstIndex(of: LF) else { return nil }
        let end = lf > cursor && bytes[lf - 1] == CR ? lf - 1 : lf
        defer { cursor = lf + 1 }
        return cursor..<end
    }

    private static func parseRequestLine(_ bytes: [UInt8], _ line: Range<Int>) throws(HTTPParseError) -> RequestHead {
        let parts = bytes[line].split(separator: SP, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { throw .malformed("invalid request line") }
        guard parts[0].allSatisfy(isTokenByte) else { throw .malformed("invalid method") }
        guard parts[1].allSatisfy({ $0 > SP && $0 != 0x7F }) else { throw .malformed("invalid request target") }
        let version = String(decoding: parts[2], as: UTF8.self)
        let minor = try minorVersion(parts[2], version)
        let (path, query) = try splitTarget(String(decoding: parts[1], as: UTF8.self))
        return RequestHead(method: String(decoding: parts[0], as: UTF8.self), path: path, query: query,
                           version: version, minorVersion: minor, headers: HTTPHeaders([]))
    }

    private static func minorVersion(_ text: ArraySlice<UInt8>, _ version: String) throws(HTTPParseError) -> Int {
        let chars = Array(text)
        guard chars.count == 8, version.hasPrefix("HTTP/"), chars[6] == UInt8(ascii: "."),
              isDigit(chars[5]), isDigit(chars[7])
        else { throw .malformed("invalid HTTP version") }
        guard chars[5] == UInt8(ascii: "1") else { throw .unsupportedVersion(version) }
        return Int(chars[7] - UInt8(ascii: "0"))
    }

    /// Origin form, absolute form (path taken after the authority) and asterisk form (RFC 9112 §3.2).
    private static func splitTarget(_ target: String) throws(HTTPParseError) -> (String, String) {
        var rest = Substring(target)
        if !rest.hasPrefix("/") && rest != "*" {
            guard let colon = rest.firstIndex(of: ":"), colon > rest.startIndex,
                  rest[..<colon].allSatisfy({ $0.isLetter }), rest[colon...].hasPrefix("://")
            else { throw .malformed("invalid request target") }
            rest = rest[colon...].dropFirst(3)
            rest = rest.firstIndex(where: { $0 == "/" || $0 == "?" }).map { rest[$0...] } ?? ""
            if !rest.hasPrefix("/") { rest = "/" + rest }
        }
        guard let mark = rest.firstIndex(of: "?") else { return (String(rest), "") }
        return (String(rest[..<mark]), String(rest[rest.index(after: mark)...]))
    }

    static func parseField(_ bytes: [UInt8], _ line: Range<Int>) throws(HTTPParseError) -> HTTPHeaders.Field {
        guard bytes[line.lowerBound] != SP, bytes[line.lowerBound] != HT else {
            throw .malformed("obsolete line folding in header section")
        }
        // No whitespace is allowed between the field name and the colon (RFC 9112 §5.1).
        guard let colon = bytes[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound,
              bytes[line.lowerBound..<colon].allSatisfy(isTokenByte)
        else { throw .malformed("invalid header field") }
        var start = colon + 1
        var end = line.upperBound
        while start < end, bytes[start] == SP || bytes[start] == HT { start += 1 }
        while end > start, bytes[end - 1] == SP || bytes[end - 1] == HT { end -= 1 }
        guard bytes[start..<end].allSatisfy({ ($0 >= SP && $0 != 0x7F) || $0 == HT }) else {
            throw .malformed("invalid character in header value")
        }
        return HTTPHeaders.Field(name: line.lowerBound..<colon, value: start..<end)
    }

    /// Decides body framing, persistence, expectations and content coding (RFC 9112 §6, §9.3; RFC 9110 §10.1.1).
    static func analyze(_ head: inout RequestHead, decompression: Bool) throws(HTTPParseError) {
        head.framing = try framing(head)
        let connection = head.headers.tokens("connection")
        head.keepAlive = connection.contains("close") ? false : (head.minorVersion >= 1 || connection.contains("keep-alive"))
        if let expect = head.headers["expect"] {
            guard expect.lowercased() == "100-continue" else { throw .expectationFailed(expect) }
            // A server MUST ignore 100-continue in an HTTP/1.0 request.
            head.expectContinue = head.minorVersion >= 1
        }
        if decompression { head.contentCoding = try ContentCoding.of(head.headers) }
    }

    private static func framing(_ head: RequestHead) throws(HTTPParseError) -> BodyFraming {
        let hasTransferEncoding = head.headers.contains("transfer-encoding")
        let lengths = head.headers.tokens("content-length")
        if hasTransferEncoding {
            // Both present is a smuggling vector: reject and close (RFC 9112 §6.1, §6.3).
            guard lengths.isEmpty, !head.headers.contains("content-length") else {
                throw .malformed("both Content-Length and Transfer-Encoding")
            }
            guard head.minorVersion >= 1 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = head.headers.tokens("transfer-encoding")
            guard codings.last == "chunked" else {
                if codings.contains("chunked") { throw .malformed("chunked is not the final transfer coding") }
                throw .unsupportedTransferEncoding(codings.joined(separator: ", "))
            }
            guard codings.count == 1 else { throw .unsupportedTransferEncoding(codings.joined(separator: ", ")) }
            return .chunked
        }
        guard let first = lengths.first else {
            if head.headers.contains("content-length") { throw .malformed("invalid Content-Length") }
            return .length(0)
        }
        // Repeated values are allowed only when identical (RFC 9110 §8.6).
        guard lengths.allSatisfy({ $0 == first }), first.count <= 18, first.utf8.allSatisfy(isDigit),
              let length = Int(first)
        else { throw .malformed("invalid Content-Length") }
        return .length(length)
    }

}

@inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

/// tchar (RFC 9110 §5.6.2).
@inline(__always) func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
         UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
         UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}

extension ContentCoding {
    /// Inflates a request body; failures become the status the server answers (413 or 400).
    func decodeBody(_ body: [UInt8], limit: Int) throws(HTTPParseError) -> [UInt8] {
        do { return try decode(body, limit: limit) } catch {
            switch error {
            case .tooLarge: throw .bodyTooLarge
            case let .malformed(reason): throw .badCompressedBody(reason)
            }
        }
    }

    /// The single coding named by a `Content-Encoding` field, nil for none or identity.
    static func of(_ headers: HTTPHeaders) throws(HTTPParseError) -> ContentCoding? {
        let codings = headers.tokens("content-encoding").filter { $0 != "identity" }
        guard let coding = codings.first else { return nil }
        guard codings.count == 1 else { throw .unsupportedContentEncoding(codings.joined(separator: ", ")) }
        do { return try ContentCoding(token: coding) } catch { throw .unsupportedContentEncoding(error.coding) }
    }
}
