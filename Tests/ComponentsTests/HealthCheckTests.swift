@testable import Components
import Testing
import Transport

@Test func healthCheck_answers503BeforeReady_200WithJSONAfter_and503WhenStopping() {
    let status = ServiceStatus()
    let h = HealthHandler(config: HealthCheckExtension.Config(), status: status)
    let get = HTTPRequest(method: "GET", path: "/", headers: HTTPHeaders([]), body: [])
    let before = h.handle(get)
    #expect(before.status == 503)
    #expect(String(decoding: before.body, as: UTF8.self) == #"{"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}"#)
    status.markReady()
    let ready = h.handle(get)
    let text = String(decoding: ready.body, as: UTF8.self)
    #expect(ready.status == 200)
    #expect(text.hasPrefix(#"{"status":"Server available","upSince":""#) && text.contains(#""uptime":""#))
    status.markStopping()
    #expect(h.handle(get).status == 503)
    #expect(h.handle(HTTPRequest(method: "GET", path: "/other", headers: HTTPHeaders([]), body: [])).status == 404)
}
