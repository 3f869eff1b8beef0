@testable import Components
import Config
import Foundation
import Pipeline
import Testing
import Transport

private func parse<C>(_ yaml: String, _ parser: (ConfigReader) throws(ConfigError) -> C) throws -> C {
    let reader = try ConfigReader(try YAMLParser.parse(yaml, file: "test"), path: "extensions::auth", file: "test")
    let config = try parser(reader)
    try reader.finish()
    return config
}

private func parseError<C>(_ yaml: String, _ parser: (ConfigReader) throws(ConfigError) -> C) -> String {
    do {
        _ = try parse(yaml, parser)
        return ""
    } catch {
        return "\(error)"
    }
}

private func headers(_ pairs: (String, String)...) -> HTTPHeaders { HTTPHeaders(pairs) }

private func temporaryFile(_ content: String) throws -> String {
    let path = NSTemporaryDirectory() + "swiftlet-auth-\(UUID().uuidString)"
    try content.write(toFile: path, atomically: false, encoding: .utf8)
    return path
}

// MARK: basicauth

@Test func basicAuthConfig_refusesBothOrNeitherSide_asUpstream() {
    let parse = BasicAuthExtension.Config.parse
    #expect(parseError("htpasswd:\n  inline: a:b\nclient_auth:\n  username: u\n", parse).contains("only one of `htpasswd` or `client_auth` can be specified"))
    #expect(parseError("{}", parse).contains("no credential source provided"))
    #expect(parseError("htpasswd:\n", parse).contains("no credential source provided"))
    #expect(parseError("client_auth:\n  username: a:b\n", parse).contains("client_auth::username"))
    #expect(parseError("client_auth:\n  username: u\n  password_file: /p\n", parse).contains("unknown key 'password_file'"))
    #expect(parseError("htpasswd:\n  inline: a:b\n  path: x\n", parse).contains("unknown key 'path'"))
}

@Test func basicCredentials_readTheAuthorizationFieldAsGo() {
    #expect(BasicCredentials(authorization: "Basic dXNlcjpwYTpzcw==") == BasicCredentials(user: "user", password: "pa:ss"))
    #expect(BasicCredentials(authorization: "bAsIc dXNlcjo=") == BasicCredentials(user: "user", password: ""))
    #expect(BasicCredentials(authorization: "Basic dXNlcjpwYTpzcw") == nil)   // unpadded
    #expect(BasicCredentials(authorization: "Basic dXNlcg==") == nil)         // no colon
    #expect(BasicCredentials(authorization: "Bearer dXNlcjpwYTpzcw==") == nil)
    #expect(BasicCredentials(authorization: "Basic ") == nil)
    #expect(BasicCredentials(user: "user", password: "pa:ss").authorization == "Basic dXNlcjpwYTpzcw==")
    // Split at the first colon byte: ":" and a combining acute accent are one Character, not ":".
    #expect(BasicCredentials(authorization: "Basic YTrMgWI=") == BasicCredentials(user: "a", password: "\u{301}b"))
    #expect(BasicCredentials(authorization: "BASIC YTrMgWI=") != nil)
    #expect(BasicCredentials(authorization: "Basic\u{301} YTrMgWI=") == nil)
}

@Test func basicAuthServer_matchesAPasswordThatIsNotUTF8_byItsBytes() throws {
    // "été" in Latin-1, as an old client sends it; the htpasswd hash is of the same three bytes.
    let server = BasicAuthServer(.init(inline: "carol:{SHA}oEGmqygkmERc7zIK6skx91zHVlI=\n"), logger: CapturedLog().logger())
    try server.start()
    #expect(server.authenticate(headers(("authorization", "Basic Y2Fyb2w66XTp"))))
    #expect(!server.authenticate(headers(("authorization", BasicCredentials(user: "carol", password: "été").authorization))))
    #expect(server.attributes(of: headers(("authorization", "basic Y2Fyb2w66XTp"))) == ["username": "carol", "raw": "Y2Fyb2w66XTp"])
}

@Test func basicAuthServer_mergesFileAndInline_inlineWinning() throws {
    let file = try temporaryFile("alice:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\nbob:bobs\n")
    defer { try? FileManager.default.removeItem(atPath: file) }
    let server = BasicAuthServer(.init(file: file, inline: "alice:inline\n"), logger: CapturedLog().logger())
    try server.start()
    #expect(server.authenticate(headers(("authorization", BasicCredentials(user: "alice", password: "inline").authorization))))
    #expect(!server.authenticate(headers(("Authorization", BasicCredentials(user: "alice", password: "secret").authorization))))
    #expect(server.authenticate(headers(("AUTHORIZATION", BasicCredentials(user: "bob", password: "bobs").authorization))))
    #expect(!server.authenticate(headers(("authorization", BasicCredentials(user: "bob", password: "wrong").authorization))))
    #expect(!server.authenticate(headers()))
    // Upstream's authData: the user, and the credentials as sent.
    let bob = BasicCredentials(user: "bob", password: "bobs").authorization
    #expect(server.attributes(of: headers(("authorization", bob))) == ["username": "bob", "raw": String(bob.dropFirst(6))])
    #expect(server.attributes(of: headers()) == [:])
}

@Test func basicAuthServer_failsToStart_withoutItsFile() {
    let server = BasicAuthServer(.init(file: "/nonexistent/htpasswd"), logger: CapturedLog().logger())
    #expect { try server.start() } throws: { "\($0)".contains("open htpasswd file") && "\($0)".contains("/nonexistent/htpasswd") }
}

@Test func basicAuthClient_sendsTheBasicField() {
    let client = BasicAuthClient(BasicCredentials(user: "user", password: "pass"))
    #expect(client.requestHeaders().map { "\($0.0): \($0.1)" } == ["Authorization: Basic dXNlcjpwYXNz"])
}

@Test func basicAuthFactory_makesAServerOrAClient() throws {
    let server = try parse("htpasswd:\n  inline: a:b\n", BasicAuthExtension.Config.parse)
    let client = try parse("client_auth:\n  username: u\n  password: p\n", BasicAuthExtension.Config.parse)
    let factory = BasicAuthExtension.factory
    #expect(try factory.make(context("basicauth", .extension), server, nil) is BasicAuthServer)
    #expect(try factory.make(context("basicauth", .extension), client, nil) is BasicAuthClient)
    #expect(!(try factory.make(context("basicauth", .extension), client, nil) is any ServerAuthenticator))
}

// MARK: bearertokenauth

@Test func bearerConfig_defaultsAndErrors_asUpstream() throws {
    let parse = BearerTokenAuthExtension.Config.parse
    let c = try BearerTokenAuthExtension.Config.parse(try ConfigReader(try YAMLParser.parse("token: t\n", file: "t"), path: "", file: "t"))
    #expect(c.header == "Authorization" && c.scheme == "Bearer" && c.tokens == ["t"])
    #expect(parseError("scheme: Bearer\n", parse).contains("no bearer token provided"))
    #expect(parseError("token: a\ntokens: [b]\n", parse).contains("either tokens or token should be provided, not both"))
    #expect(parseError("token: a\nheader: \"\"\n", parse).contains("header"))
    #expect(parseError("token: a\nfile: x\n", parse).contains("unknown key 'file'"))
}

private func bearer(_ yaml: String) throws -> BearerTokenAuthExtension {
    BearerTokenAuthExtension(try parse(yaml, BearerTokenAuthExtension.Config.parse), logger: CapturedLog().logger())
}

@Test func bearer_acceptsSchemeSpaceToken_forAnyOfItsTokens() throws {
    let auth = try bearer("tokens: [one, two]\n")
    #expect(auth.authenticate(headers(("authorization", "Bearer two"))))
    #expect(auth.authenticate(headers(("Authorization", "Bearer one"))))
    #expect(!auth.authenticate(headers(("Authorization", "Bearer three"))))
    #expect(!auth.authenticate(headers(("Authorization", "bearer one"))))
    #expect(!auth.authenticate(headers(("Authorization", "one"))))
    #expect(!auth.authenticate(headers()))
    #expect(auth.requestHeaders().map { "\($0.0): \($0.1)" } == ["Authorization: Bearer one"])
}

@Test func bearer_usesItsHeaderAndScheme() throws {
    let auth = try bearer("token: k\nheader: X-API-Key\nscheme: \"\"\n")
    #expect(auth.authenticate(headers(("x-api-key", "k"))))
    #expect(!auth.authenticate(headers(("Authorization", "Bearer k"))))
    #expect(auth.requestHeaders().map { "\($0.0): \($0.1)" } == ["X-API-Key: k"])
}

@Test func constantTimeEquals_comparesWholeValues() {
    #expect(Digest.constantTimeEquals(Array("Bearer abc".utf8), Array("Bearer abc".utf8)))
    #expect(!Digest.constantTimeEquals(Array("Bearer abc".utf8), Array("Bearer abd".utf8)))
    #expect(!Digest.constantTimeEquals(Array("Bearer abc".utf8), Array("Bearer ab".utf8)))
    #expect(Digest.constantTimeEquals([UInt8](), [UInt8]()))
}

@Test func bearerFile_isReadAgainOnUse_onceItChanged_atMostOncePerSecond() throws {
    let path = try temporaryFile("first\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let file = BearerTokenFile(path: path, logger: CapturedLog().logger())
    try file.load()
    let start: UInt64 = 1 << 40
    #expect(file.tokens(now: start) == ["first"])
    try "second-token\n\n  third \n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(file.tokens(now: start + 500_000_000) == ["first"])
    #expect(file.tokens(now: start + 1_500_000_000) == ["second-token", "third"])
    try FileManager.default.removeItem(atPath: path)
    #expect(file.tokens(now: start + 3_000_000_000) == ["second-token", "third"])
}

@Test func bearer_withAFile_failsToStartWithoutIt_andSendsItsFirstLine() throws {
    #expect(throws: (any Error).self) { try bearer("filename: /nonexistent/token\n").start() }
    let path = try temporaryFile("from-file\nother\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let auth = try bearer("filename: \(path)\ntoken: ignored\n")
    try auth.start()
    #expect(auth.requestHeaders().map { $0.1 } == ["Bearer from-file"])
    #expect(auth.authenticate(headers(("authorization", "Bearer other"))))
    #expect(!auth.authenticate(headers(("authorization", "Bearer ignored"))))
}
