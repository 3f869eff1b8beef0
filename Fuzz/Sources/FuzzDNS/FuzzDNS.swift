#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
@_spi(Fuzzing) import Transport

/// The first byte picks the decoder: even, the rest is a DNS response, and every address it
/// yields must be text `inet_pton` reads back; odd, the rest is resolv.conf and hosts-file text,
/// and every name candidate must be absolute and at most 254 bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] % 2 == 0 {
        for text in DNSDecodingFuzzer.addresses(inResponse: rest) ?? [] where !isAddress(text) {
            fatalError("decoded address \(text) is not an IP address")
        }
    } else {
        let names = DNSDecodingFuzzer.names(for: "web.svc", resolvConf: String(decoding: rest, as: UTF8.self))
        for name in names.candidates where name.utf8.last != UInt8(ascii: ".") || name.utf8.count > 254 {
            fatalError("name candidate \(name) is not absolute or too long")
        }
        for text in names.hosts where !isAddress(text) { fatalError("hosts-file address \(text) is not an IP address") }
    }
    return 0
}

private func isAddress(_ text: String) -> Bool {
    var v4 = in_addr(), v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
}

@_cdecl("FuzzDNS_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
