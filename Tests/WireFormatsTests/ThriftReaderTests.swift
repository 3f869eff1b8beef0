import Testing
@testable import WireFormats

private let kinds: [ThriftProtocolKind] = [.binary, .compact]

/// A struct with one field of every Thrift type, the last one after a long field-id jump.
private func everyTypeStruct(_ kind: ThriftProtocolKind) -> [UInt8] {
    var w = ThriftTestWriter(kind)
    w.structBody { w in
        w.boolField(1, true)
        w.boolField(2, false)
        w.field(.byte, 3); w.byte(-7)
        w.field(.i16, 4); w.i16(-300)
        w.i32Field(5, Int32.min)
        w.i64Field(6, Int64.max)
        w.doubleField(7, -2.5)
        w.stringField(8, "héllo")
        w.binaryField(9, [0, 255, 128])
        w.listField(10, .i32, count: 3) { w in w.i32(1); w.i32(-2); w.i32(3) }
        w.field(.set, 11); w.listHeader(.binary, 2); w.binary(Array("a".utf8)); w.binary(Array("b".utf8))
        w.field(.map, 12); w.mapHeader(.binary, .i64, 1); w.binary(Array("k".utf8)); w.i64(-9)
        w.structField(13) { w in w.i32Field(1, 42); w.structField(20) { w in w.boolField(1, true) } }
        w.field(.uuid, 14); w.bytes += Array(1...16)
        w.listField(15, .bool, count: 2) { w in w.bytes += [1, 0] }
        w.listField(16, .i64, count: 20) { w in for i in 0..<20 { w.i64(Int64(i) - 10) } }
        w.field(.map, 17); w.mapHeader(.i32, .i32, 0)
        w.i32Field(300, 77)
        w.i32Field(-5, 6)
    }
    return w.bytes
}

/// Reads `everyTypeStruct` back field by field, checking each value.
private func readEveryType(_ r: inout any ThriftReader) throws {
    let mark = try r.beginStruct()
    var ids: [Int16] = []
    while let f = try r.readFieldHeader() {
        ids.append(f.id)
        switch f.id {
        case 1: #expect(f.type == .bool); #expect(try r.readBool() == true)
        case 2: #expect(try r.readBool() == false)
        case 3: #expect(f.type == .byte); #expect(try r.readByte() == -7)
        case 4: #expect(try r.readI16() == -300)
        case 5: #expect(try r.readI32() == Int32.min)
        case 6: #expect(try r.readI64() == Int64.max)
        case 7: #expect(try r.readDouble() == -2.5)
        case 8: #expect(try r.readString() == "héllo")
        case 9: #expect(try r.readBytes() == [0, 255, 128])
        case 10:
            let h = try r.readListHeader()
            #expect(h == ThriftListHeader(elementType: .i32, count: 3))
            #expect([try r.readI32(), try r.readI32(), try r.readI32()] == [1, -2, 3])
        case 11:
            #expect(try r.readSetHeader() == ThriftListHeader(elementType: .binary, count: 2))
            #expect([try r.readString(), try r.readString()] == ["a", "b"])
        case 12:
            #expect(try r.readMapHeader() == ThriftMapHeader(keyType: .binary, valueType: .i64, count: 1))
            #expect(try r.readString() == "k")
            #expect(try r.readI64() == -9)
        case 13:
            let inner = try r.beginStruct()
            let first = try #require(try r.readFieldHeader())
            #expect(first.id == 1 && first.type == .i32)
            #expect(try r.readI32() == 42)
            let nested = try #require(try r.readFieldHeader())
            #expect(nested.id == 20 && nested.type == .struct)
            try r.skip(.struct)
            #expect(try r.readFieldHeader() == nil)
            r.endStruct(inner)
        case 14:
            let uuid = try r.readUUID()
            #expect(uuid.high == 0x0102_0304_0506_0708 && uuid.low == 0x090A_0B0C_0D0E_0F10)
        case 15:
            #expect(try r.readListHeader().count == 2)
            #expect([try r.readBool(), try r.readBool()] == [true, false])
        case 16:
            #expect(try r.readListHeader() == ThriftListHeader(elementType: .i64, count: 20))
            for i in 0..<20 { #expect(try r.readI64() == Int64(i) - 10) }
        case 17: #expect(try r.readMapHeader().count == 0)
        case 300: #expect(try r.readI32() == 77)
        case -5: #expect(try r.readI32() == 6)
        default: Issue.record("unexpected field \(f.id)")
        }
    }
    r.endStruct(mark)
    #expect(ids == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 300, -5])
    #expect(r.remaining == 0)
}

@Test(arguments: kinds)
func thriftReader_readsEveryType(kind: ThriftProtocolKind) throws {
    try kind.withReader(everyTypeStruct(kind)) { r in try readEveryType(&r) }
}

@Test(arguments: kinds)
func thriftReader_skipsEveryType_toTheStop(kind: ThriftProtocolKind) throws {
    let bytes = everyTypeStruct(kind) + [0xAB]
    try kind.withReader(bytes) { r in
        try r.skip(.struct)
        #expect(r.remaining == 1)
    }
}

@Test(arguments: kinds)
func thriftReader_throwsAtEveryTruncation_neverTraps(kind: ThriftProtocolKind) throws {
    let bytes = everyTypeStruct(kind)
    for cut in 0..<bytes.count {
        #expect(throws: ThriftDecodeError.self, "cut at \(cut)") {
            try kind.withReader(Array(bytes[..<cut])) { r in try r.skip(.struct) }
        }
    }
}

@Test func compactReader_fieldIDs_resumeAfterANestedStruct() throws {
    // Field 1, then a nested struct at 2 whose field is 5, then field 3 as a delta from 2.
    let bytes: [UInt8] = [0x15, 0x02, 0x1C, 0x55, 0x04, 0x00, 0x15, 0x06, 0x00]
    try ThriftProtocolKind.compact.withReader(bytes) { r in
        let mark = try r.beginStruct()
        #expect(try r.readFieldHeader()?.id == 1); _ = try r.readI32()
        #expect(try r.readFieldHeader()?.id == 2)
        let inner = try r.beginStruct()
        #expect(try r.readFieldHeader()?.id == 5); #expect(try r.readI32() == 2)
        #expect(try r.readFieldHeader() == nil)
        r.endStruct(inner)
        #expect(try r.readFieldHeader()?.id == 3); #expect(try r.readI32() == 3)
        #expect(try r.readFieldHeader() == nil)
        r.endStruct(mark)
    }
}

@Test func compactReader_decodesTheSpecWorkedExamples() throws {
    // Varint 50399 = DF 89 03 is zigzag for -25200 (i32).
    let value = try ThriftProtocolKind.compact.withReader([0xDF, 0x89, 0x03]) { r in try r.readI32() }
    #expect(value == -25200)
    // Tag{key:"k", vType:STRING, vStr:"v"}
    let tag: [UInt8] = [0x18, 0x01, 0x6B, 0x15, 0x00, 0x18, 0x01, 0x76, 0x00]
    try ThriftProtocolKind.compact.withReader(tag) { r in
        let mark = try r.beginStruct()
        var seen: [Int16] = []
        while let f = try r.readFieldHeader() { seen.append(f.id); try r.skip(f.type) }
        r.endStruct(mark)
        #expect(seen == [1, 2, 3])
    }
}

@Test(arguments: [(ThriftProtocolKind.binary, true), (.binary, false), (.compact, true)])
func thriftReader_readsMessageHeaders(kind: ThriftProtocolKind, strict: Bool) throws {
    for type in [ThriftMessageType.call, .oneway, .reply] {
        var w = ThriftTestWriter(kind)
        w.messageHeader("emitBatch", type, sequenceID: 1234, strict: strict)
        let (header, remaining) = try kind.withReader(w.bytes) { r in (try r.readMessageHeader(), r.remaining) }
        #expect(header == ThriftMessageHeader(name: "emitBatch", type: type, sequenceID: 1234))
        #expect(remaining == 0)
    }
}

private func decodeError(_ kind: ThriftProtocolKind, _ bytes: [UInt8], maxDepth: Int = thriftDefaultMaxDepth,
                         _ read: (inout any ThriftReader) throws -> Void) -> ThriftDecodeError? {
    do {
        try kind.withReader(bytes, maxDepth: maxDepth, read)
        return nil
    } catch let error as ThriftDecodeError {
        return error
    } catch {
        return nil
    }
}

@Test func thriftReader_refusesBadLengthsAndCounts_withAReason() {
    // Binary: negative string length, a length past the end, negative and huge list sizes.
    let negativeString = decodeError(.binary, [0xFF, 0xFF, 0xFF, 0xFE]) { r in _ = try r.readBinary() }
    #expect(negativeString?.reason == .negativeLength(-2))
    let longString = decodeError(.binary, [0x00, 0x00, 0x10, 0x00, 0x41]) { r in _ = try r.readBinary() }
    #expect(longString?.reason == .lengthPastEnd(length: 4096, remaining: 1))
    let negativeList = decodeError(.binary, [0x08, 0x80, 0x00, 0x00, 0x00]) { r in _ = try r.readListHeader() }
    #expect(negativeList?.reason == .negativeLength(Int64(Int32.min)))
    let hugeList = decodeError(.binary, [0x0C, 0x7F, 0xFF, 0xFF, 0xFF, 0x00]) { r in _ = try r.readListHeader() }
    #expect(hugeList?.reason == .countPastEnd(count: Int64(Int32.max), elementType: .struct, remaining: 1))
    // i64 elements take 8 bytes each in the binary protocol: 2 of them cannot fit in 15.
    let tightList = decodeError(.binary, [0x0A, 0, 0, 0, 2] + Array(repeating: 0, count: 15)) { r in _ = try r.readListHeader() }
    #expect(tightList?.reason == .countPastEnd(count: 2, elementType: .i64, remaining: 15))
    let hugeMap = decodeError(.binary, [0x0B, 0x0B, 0x10, 0, 0, 0, 0]) { r in _ = try r.readMapHeader() }
    #expect(hugeMap.map { "\($0)" }?.contains("cannot fit") == true)

    // Compact: a long-form list size past the end and one that is negative as an i32.
    let compactHuge = decodeError(.compact, [0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]) { r in _ = try r.readListHeader() }
    #expect(compactHuge?.reason == .countPastEnd(count: Int64(Int32.max), elementType: .struct, remaining: 0))
    let compactNegative = decodeError(.compact, [0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { r in _ = try r.readListHeader() }
    #expect(compactNegative?.reason == .negativeLength(-1))
    let compactLongString = decodeError(.compact, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x41]) { r in _ = try r.readBinary() }
    #expect(compactLongString?.reason == .lengthPastEnd(length: 0xFFFF_FFFF, remaining: 1))
    let longVarint = decodeError(.compact, Array(repeating: 0xFF, count: 11)) { r in _ = try r.readI64() }
    #expect(longVarint?.reason == .varintTooLong)
}

@Test(arguments: kinds)
func thriftReader_refusesBadTypesAndUTF8(kind: ThriftProtocolKind) {
    let badFieldType = decodeError(kind, kind == .binary ? [0x07, 0x00, 0x01] : [0x1E]) { r in _ = try r.readFieldHeader() }
    #expect(badFieldType?.reason == .invalidType(kind == .binary ? 7 : 14))
    let stopElements = decodeError(kind, kind == .binary ? [0x00, 0, 0, 0, 1, 0] : [0x10, 0]) { r in _ = try r.readListHeader() }
    #expect(stopElements != nil)
    var w = ThriftTestWriter(kind)
    w.binary([0x66, 0xC3, 0x28])
    let badUTF8 = decodeError(kind, w.bytes) { r in _ = try r.readString() }
    #expect(badUTF8?.reason == .invalidUTF8)
    #expect("\(badUTF8!)".contains("invalid UTF-8") && "\(badUTF8!)".contains("byte 0"))
}

@Test(arguments: kinds)
func thriftReader_refusesDeepNesting_ofStructsAndLists(kind: ThriftProtocolKind) {
    // 200 structs, each the field 1 of the one around it.
    var structs = ThriftTestWriter(kind)
    func nest(_ w: inout ThriftTestWriter, _ depth: Int) {
        guard depth > 0 else { return }
        w.structField(1) { nest(&$0, depth - 1) }
    }
    structs.structBody { nest(&$0, 200) }
    let deepStructs = decodeError(kind, structs.bytes) { r in try r.skip(.struct) }
    #expect(deepStructs?.reason == .depthLimit(thriftDefaultMaxDepth))
    // Lists of lists, 10 000 deep: refused before recursion could exhaust the stack.
    var lists = ThriftTestWriter(kind)
    for _ in 0..<10_000 { lists.listHeader(.list, 1) }
    lists.listHeader(.i32, 0)
    let deepLists = decodeError(kind, lists.bytes) { r in try r.skip(.list) }
    #expect(deepLists?.reason == .depthLimit(thriftDefaultMaxDepth))
    // Within the limit the same shape is fine.
    #expect(decodeError(kind, structs.bytes, maxDepth: 300) { r in try r.skip(.struct) } == nil)
}

@Test func binaryReader_refusesABadMessageVersion() {
    let error = decodeError(.binary, [0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]) { r in _ = try r.readMessageHeader() }
    #expect(error.map { "\($0)" }?.contains("bad version word 0x80020001") == true)
    let compact = decodeError(.compact, [0x82, 0x22, 0x00, 0x00]) { r in _ = try r.readMessageHeader() }
    #expect(compact.map { "\($0)" }?.contains("version 2") == true)
    let unknownType = decodeError(.compact, [0x82, 0xA1, 0x00, 0x00]) { r in _ = try r.readMessageHeader() }
    #expect(unknownType.map { "\($0)" }?.contains("unknown message type 5") == true)
}
