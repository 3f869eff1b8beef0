/// Serializes responses: status line, handler headers minus framing ones, Content-Length, never chunked.
enum ResponseWriter {
    static func append(_ response: HTTPResponse, to out: inout [UInt8], headRequest: Bool, connection: String?) {
        let status = response.status
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n".utf8)
        for (name, value) in response.headers where !isFramingHeader(name) {
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8.filter { $0 != 0x0D && $0 != 0x0A })
            out.append(contentsOf: "\r\n".utf8)
        }
        // 1xx, 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6, §15.3.5).
        let bodyAllowed = status >= 200 && status != 204 && status != 304
        if bodyAllowed { out.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8) }
        if let connection { out.append(contentsOf: "Connection: \(connection)\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        if bodyAllowed, !headRequest { out.append(contentsOf: response.body) }
    }

    private static func isFramingHeader(_ name: String) -> Bool {
        switch name.lowercased() {
        case "content-length", "transfer-encoding", "connection": true
        default: false
        }
    }
}
