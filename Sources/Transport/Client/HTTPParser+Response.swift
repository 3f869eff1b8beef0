/// How a response body ends (RFC 9112 §6.3).
enum ResponseFraming {
    case framed(BodyFraming)
    /// Neither Content-Length nor chunked: the body runs to the end of the connection.
    case untilClose
}

struct ResponseHead {
    var status: Int
    var headers: HTTPHeaders
    var framing: ResponseFraming
    var keepAlive: Bool
}

extension HTTPParser {
    /// Parses a status line and header fields, and decides the body's framing.
    static func parseResponseHead(_ raw: UnsafeRawBufferPointer, requestMethod: String) throws(HTTPParseError) -> ResponseHead {
        let bytes = Array(raw)
        var cursor = 0
        guard let statusLine = nextLine(bytes, &cursor) else { throw .malformed("missing status line") }
        let parts = bytes[statusLine].split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)), parts[1].count == 3, parts[1].allSatisfy(isDigit),
              let status = Int(String(decoding: parts[1], as: UTF8.self))
        else { throw .malformed("invalid status line") }
        var fields: [HTTPHeaders.Field] = []
        while let line = nextLine(bytes, &cursor), !line.isEmpty {
            fields.append(try parseField(bytes, line))
        }
        let headers = HTTPHeaders(storage: bytes, fields: fields)
        let http10 = parts[0].last == UInt8(ascii: "0")
        let connection = headers.tokens("connection")
        var keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close")
        let framing: ResponseFraming
        if requestMethod == "HEAD" || status == 204 || status == 304 || status < 200 {
            framing = .framed(.length(0))
        } else if headers.tokens("transfer-encoding").last == "chunked" {
            framing = .framed(.chunked)
        } else if let length = headers["content-length"] {
            guard length.utf8.count <= 18, length.utf8.allSatisfy(isDigit), let n = Int(length) else {
                throw .malformed("invalid Content-Length")
            }
            framing = .framed(.length(n))
        } else {
            framing = .untilClose
            keepAlive = false
        }
        return ResponseHead(status: status, headers: headers, framing: framing, keepAlive: keepAlive)
    }
}
