/// A span's W3C `tracestate` (Trace Context: `key=value` members separated by `,` with optional
/// whitespace), its `ot` member parsed per the OpenTelemetry probability sampling spec (tracestate
/// ot= th/rv) and every other vendor's member carried along in order.
struct W3CTraceState: Equatable, Sendable {
    static let maxLength = 1024
    /// As upstream counts: a 32nd member, empty ones included, is one too many.
    static let maxMembers = 32

    var ot = OTelTraceState()
    private(set) var others: [OTelTraceState.Member] = []

    init(parsing text: String) throws(TraceStateError) {
        guard !text.isEmpty else { return }
        guard text.utf8.count <= Self.maxLength else { throw .size }
        let members = text.split(separator: ",", omittingEmptySubsequences: false).map(Self.trimmed)
        guard members.allSatisfy(Self.isValidMember) else { throw .syntax(text) }
        guard members.count < Self.maxMembers else { throw .size }
        for member in members {
            guard let eq = member.firstIndex(of: "=") else { continue }
            try read(OTelTraceState.Member(key: member[..<eq], value: member[member.index(after: eq)...]))
        }
    }

    private mutating func read(_ member: OTelTraceState.Member) throws(TraceStateError) {
        guard Self.withinSizeLimits(member.key) else { throw .size }
        if member.key == "ot" {
            ot = try OTelTraceState(parsing: member.value)
        } else {
            others.append(member)
        }
    }

    /// `ot` first (when it holds anything), then the other members as they came.
    var serialized: String {
        var parts = ot.isEmpty ? [] : ["ot=" + ot.serialized]
        parts += others.map { "\($0.key)=\($0.value)" }
        return parts.joined(separator: ",")
    }

    private static func trimmed(_ s: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = s.firstIndex(where: { !isSpace($0) }), let end = s.lastIndex(where: { !isSpace($0) }) else { return s[s.endIndex...] }
        return s[start...end]
    }

    private static func isValidMember(_ member: Substring) -> Bool {
        guard !member.isEmpty else { return true }
        guard let eq = member.firstIndex(of: "="), eq != member.startIndex else { return false }
        return isValidKey(member[..<eq]) && isValidValue(member[member.index(after: eq)...])
    }

    /// key = lcalpha *keychar / (lcalpha / DIGIT) *keychar "@" lcalpha *keychar, where keychar =
    /// lcalpha / DIGIT / "_" / "-" / "*" / "/".
    private static func isValidKey(_ key: Substring) -> Bool {
        let parts = key.utf8.split(separator: UInt8(ascii: "@"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let system = parts.last, let first = system.first, first.isLowercaseASCIILetter else { return false }
        guard system.dropFirst().allSatisfy(isKeyByte) else { return false }
        guard parts.count == 2 else { return true }
        guard let tenantFirst = parts[0].first, tenantFirst.isLowercaseASCIILetter || tenantFirst.isASCIIDigitByte else { return false }
        return parts[0].dropFirst().allSatisfy(isKeyByte)
    }

    private static func isKeyByte(_ b: UInt8) -> Bool {
        b.isLowercaseASCIILetter || b.isASCIIDigitByte || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
            || b == UInt8(ascii: "*") || b == UInt8(ascii: "/")
    }

    /// value = 0*255(chr) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr.
    private static func isValidValue(_ value: Substring) -> Bool {
        let bytes = value.utf8
        guard let last = bytes.last, bytes.count <= 256, isNonBlank(last) else { return false }
        return bytes.allSatisfy { $0 == 0x20 || isNonBlank($0) }
    }

    private static func isNonBlank(_ b: UInt8) -> Bool {
        (0x21...0x2B).contains(b) || (0x2D...0x3C).contains(b) || (0x3E...0x7E).contains(b)
    }

    /// Key at most 256 bytes; a multi-tenant key's tenant at most 241, its system at most 14.
    private static func withinSizeLimits(_ key: Substring) -> Bool {
        guard key.utf8.count <= 256 else { return false }
        guard let at = key.firstIndex(of: "@") else { return true }
        return key[..<at].utf8.count <= 241 && key[key.index(after: at)...].utf8.count <= 14
    }
}
