import TraceModel

extension OTLPProtoTraceDecoder {
    /// Appends one `KeyValue` record of a repeated attributes field.
    func decodeAttribute(
        _ reader: inout ProtoReader, _ tag: ProtoTag, into attributes: inout [KeyValue], name: String = "attributes", depth: Int = 0
    ) throws(ProtoDecodeError) {
        let index = attributes.count
        var attribute = KeyValue("", .empty)
        try inField("\(name)[\(index)]") { () throws(ProtoDecodeError) in
            var sub = try reader.message(tag)
            try decodeKeyValue(&sub, into: &attribute, depth: depth)
        }
        attributes.append(attribute)
    }

    func decodeKeyValue(_ reader: inout ProtoReader, into attribute: inout KeyValue, depth: Int) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: attribute.key = try inField("key") { () throws(ProtoDecodeError) in try reader.string(tag) }
            case 2:
                try inField("value") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeAnyValue(&sub, into: &attribute.value, depth: depth + 1)
                }
            default: try reader.skip(wireType: tag.wireType)  // includes key_strindex (profiles only)
            }
        }
    }

    /// A oneof: the last member wins, except that a repeated array/kvlist member merges.
    func decodeAnyValue(_ reader: inout ProtoReader, into value: inout AnyValue, depth: Int) throws(ProtoDecodeError) {
        guard depth <= limits.maxDepth else { throw ProtoDecodeError(.depthLimit(limits.maxDepth), at: reader.position) }
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: value = .string(try inField("string_value") { () throws(ProtoDecodeError) in try reader.string(tag) })
            case 2: value = .bool(try inField("bool_value") { () throws(ProtoDecodeError) in try reader.uint64(tag) } != 0)
            case 3: value = .int(Int64(bitPattern: try inField("int_value") { () throws(ProtoDecodeError) in try reader.uint64(tag) }))
            case 4: value = .double(Double(bitPattern: try inField("double_value") { () throws(ProtoDecodeError) in try reader.fixed64(tag) }))
            case 5:
                var values: [AnyValue] = []
                if case .array(let existing) = value { values = existing }
                value = .empty  // release the old storage so appends do not copy
                try inField("array_value") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeArrayValue(&sub, into: &values, depth: depth)
                }
                value = .array(values)
            case 6:
                var values: [KeyValue] = []
                if case .kvlist(let existing) = value { values = existing }
                value = .empty
                try inField("kvlist_value") { () throws(ProtoDecodeError) in
                    var sub = try reader.message(tag)
                    try decodeKeyValueList(&sub, into: &values, depth: depth)
                }
                value = .kvlist(values)
            case 7: value = .bytes(try inField("bytes_value") { () throws(ProtoDecodeError) in try reader.bytes(tag) })
            default: try reader.skip(wireType: tag.wireType)  // includes string_value_strindex (profiles only)
            }
        }
    }

    func decodeArrayValue(_ reader: inout ProtoReader, into values: inout [AnyValue], depth: Int) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            var element = AnyValue.empty
            try inField("values[\(values.count)]") { () throws(ProtoDecodeError) in
                var sub = try reader.message(tag)
                try decodeAnyValue(&sub, into: &element, depth: depth + 1)
            }
            values.append(element)
        }
    }

    func decodeKeyValueList(_ reader: inout ProtoReader, into values: inout [KeyValue], depth: Int) throws(ProtoDecodeError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 1 else {
                try reader.skip(wireType: tag.wireType)
                continue
            }
            try decodeAttribute(&reader, tag, into: &values, name: "values", depth: depth)
        }
    }
}
