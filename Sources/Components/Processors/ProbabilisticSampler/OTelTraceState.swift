/// The `ot` member of a W3C tracestate, per the OpenTelemetry probability sampling spec
/// (tracestate ot= th/rv): `key:value` pairs separated by `;`, of which `rv` (randomness) and `th`
/// (threshold) are read and the others carried along in order.
struct OTelTraceState: Equatable, Sendable {
    static let maxLength = 256

    private(set) var rvalue = ""
    private(set) var randomness: SamplingRandomness?
    private(set) var tvalue = ""
    private(set) var threshold: SamplingThreshold?
    private(set) var others: [Member] = []

    struct Member: Equatable, Sendable {
        var key: Substring
        var value: Substring
    }

    init() {}

    init(parsing text: Substring) throws(TraceStateError) {
        guard text.utf8.count <= Self.maxLength else { throw .size }
        guard Self.isValid(text) else { throw .syntax(String(text)) }
        for member in text.split(separator: ";") {
            guard let colon = member.firstIndex(of: ":") else { continue }
            try read(Member(key: member[..<colon], value: member[member.index(after: colon)...]))
        }
    }

    private mutating func read(_ member: Member) throws(TraceStateError) {
        switch member.key {
        case "rv":
            randomness = try SamplingRandomness(rvalue: member.value)
            rvalue = String(member.value)
        case "th":
            threshold = try SamplingThreshold(tvalue: member.value)
            tvalue = String(member.value)
        default:
            others.append(member)
        }
    }

    var isEmpty: Bool { rvalue.isEmpty && tvalue.isEmpty && others.isEmpty }

    mutating func setRandomness(_ r: SamplingRandomness) {
        randomness = r
        rvalue = r.rvalue
    }

    mutating func clearThreshold() {
        threshold = nil
        tvalue = ""
    }

    /// Records the threshold a sampler kept the item at. Refused (false) when it would raise the
    /// probability the item arrived with.
    mutating func updateThreshold(_ new: SamplingThreshold) -> Bool {
        if let threshold, threshold > new { return false }
        threshold = new == .never ? nil : new
        tvalue = new.tvalue
        return true
    }

    /// `rv` first, then `th`, then the other members as they came.
    var serialized: String {
        var parts: [String] = []
        if !rvalue.isEmpty { parts.append("rv:" + rvalue) }
        if !tvalue.isEmpty { parts.append("th:" + tvalue) }
        parts += others.map { "\($0.key):\($0.value)" }
        return parts.joined(separator: ";")
    }

    /// list = key ":" value *( ";" key ":" value ), key = lcalpha *(lcalpha / DIGIT),
    /// value = *(ALPHA / DIGIT / "." / "_" / "-").
    private static func isValid(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.last != ";" else { return false }
        return text.split(separator: ";", omittingEmptySubsequences: false).allSatisfy { member in
            guard let colon = member.firstIndex(of: ":") else { return false }
            return isKey(member[..<colon]) && member[member.index(after: colon)...].utf8.allSatisfy(isValueByte)
        }
    }

    private static func isKey(_ key: Substring) -> Bool {
        guard let first = key.utf8.first, first.isLowercaseASCIILetter else { return false }
        return key.utf8.dropFirst().allSatisfy { $0.isLowercaseASCIILetter || $0.isASCIIDigitByte }
    }

    private static func isValueByte(_ b: UInt8) -> Bool {
        b.isLowercaseASCIILetter || b.isASCIIDigitByte || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }
}

extension UInt8 {
    var isLowercaseASCIILetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) }
    var isASCIIDigitByte: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
