import TraceModel

extension ZipkinTranslator {
    /// Tags to attributes, trace state, kind, status and links, as upstream's `zSpanToInternal`
    /// does. Returns whether some attribute could share a name with an endpoint attribute.
    func applyTags(_ tags: [ZipkinTag], kind: ZipkinSpanKind, to span: inout TranslatedSpan, _ scratch: inout SpanScratch) throws(ZipkinDecodeError) -> Bool {
        span.kind = Self.spanKind(kind)
        var statusCode: String?
        var statusDescription: (value: String, attributeIndex: Int)?
        var linkTags: [(index: Int, tag: ZipkinTag)] = []
        var mayShadowEndpoints = false
        scratch.attributes.reserveCapacity(tags.count + 3)
        for tag in tags {
            let role = ZipkinTags.role(of: tag.key)
            switch role {
            case .plain:
                if !mayShadowEndpoints { mayShadowEndpoints = ZipkinTags.namesEndpointAttribute(tag.key) }
                appendAttribute(tag, to: &scratch.attributes)
            case .resource, .scopeName, .scopeVersion:
                break
            case .traceState:
                span.traceState = tag.value
            case .spanKind where kind == .unspecified:
                // Removed only when `kind` is absent; then "internal" is the one value read.
                if tag.value.hasSameBytes(as: "internal") { span.kind = .internal }
            case .spanKind:
                appendAttribute(tag, to: &scratch.attributes)
            case .statusCode:
                statusCode = tag.valueText
            case .statusDescription:
                statusDescription = (tag.valueText, scratch.attributes.count)
                appendAttribute(tag, to: &scratch.attributes)
            case .error:
                span.status.code = .error
                if !tag.value.hasSameBytes(as: "true") { appendAttribute(tag, to: &scratch.attributes) }
            case .link(let index):
                linkTags.append((index, tag))
            }
        }
        if let statusCode {
            let code = Self.statusCodes[statusCode] ?? .unset
            if span.status.code != .error { span.status.code = code }
            if let description = statusDescription {
                span.status.message = description.value
                scratch.attributes.remove(at: description.attributeIndex)
            }
        }
        if !linkTags.isEmpty { try applyLinks(linkTags, &scratch) }
        return mayShadowEndpoints
    }

    private func appendAttribute(_ tag: ZipkinTag, to attributes: inout [AttributeRef]) {
        attributes.append(ZipkinTags.attribute(tag.key, tag.value, parsingStringTags: parseStringTags))
    }

    /// Both spellings upstream recognises; any other value (e.g. "OK") is unset.
    private static let statusCodes: [String: StatusCode] = [
        "STATUS_CODE_UNSET": .unset, "STATUS_CODE_OK": .ok, "STATUS_CODE_ERROR": .error,
        "Unset": .unset, "Ok": .ok, "Error": .error,
    ]

    private static func spanKind(_ kind: ZipkinSpanKind) -> SpanKind {
        switch kind {
        case .client: .client
        case .server: .server
        case .producer: .producer
        case .consumer: .consumer
        case .unspecified: .unspecified
        }
    }

    /// `otlp.link.0`, `otlp.link.1`, … up to the first missing index become links; tags past a
    /// gap stay attributes, as upstream stops looking there.
    private func applyLinks(_ linkTags: [(index: Int, tag: ZipkinTag)], _ scratch: inout SpanScratch) throws(ZipkinDecodeError) {
        var byIndex = [ZipkinTag?](repeating: nil, count: 128)
        for (index, tag) in linkTags { byIndex[index] = tag }
        var next = 0
        while next < 128, let tag = byIndex[next] {
            if let link = try inZipkinField("tags." + tag.keyText, { () throws(ZipkinDecodeError) in try ZipkinPipeEncoding.link(tag.valueText) }) {
                scratch.links.append(link)
            }
            next += 1
        }
        for (index, tag) in linkTags where index > next { appendAttribute(tag, to: &scratch.attributes) }
    }
}
