import TraceModel

extension ZipkinTranslator {
    /// Tags to attributes, trace state, kind, status and links, as upstream's `zSpanToInternal`
    /// does. Returns whether some attribute could share a name with an endpoint attribute.
    func applyTags(_ tags: [KeyValue], kind: ZipkinSpanKind, to span: inout Span) throws(ZipkinDecodeError) -> Bool {
        span.kind = Self.spanKind(kind)
        var statusCode: String?
        var statusDescription: (value: String, attributeIndex: Int)?
        var linkTags: [(index: Int, tag: KeyValue)] = []
        var mayShadowEndpoints = false
        // While every tag is a plain string attribute (all of Envoy's are), the tags array itself
        // becomes the attributes: no copy. The first other tag starts copying.
        var copying = parseStringTags
        if copying { span.attributes.reserveCapacity(tags.count + 3) }
        for (index, tag) in tags.enumerated() {
            let role = ZipkinTags.role(of: tag.key)
            if role == .plain {
                if !mayShadowEndpoints { mayShadowEndpoints = ZipkinTags.namesEndpointAttribute(tag.key) }
                if copying { appendAttribute(tag, to: &span) }
                continue
            }
            if !copying {
                copying = true
                span.attributes.reserveCapacity(tags.count + 3)
                span.attributes.append(contentsOf: tags[..<index])
            }
            switch role {
            case .plain, .resource, .scopeName, .scopeVersion:
                break
            case .traceState:
                span.traceState = tag.value.stringValue
            case .spanKind where kind == .unspecified:
                // Removed only when `kind` is absent; then "internal" is the one value read.
                if tag.value.stringValue == "internal" { span.kind = .internal }
            case .spanKind:
                appendAttribute(tag, to: &span)
            case .statusCode:
                statusCode = tag.value.stringValue
            case .statusDescription:
                statusDescription = (tag.value.stringValue, span.attributes.count)
                appendAttribute(tag, to: &span)
            case .error:
                span.status.code = .error
                if tag.value.stringValue != "true" { appendAttribute(tag, to: &span) }
            case .link(let index):
                linkTags.append((index, tag))
            }
        }
        if !copying { span.attributes = tags }
        if let statusCode {
            let code = Self.statusCodes[statusCode] ?? .unset
            if span.status.code != .error { span.status.code = code }
            if let description = statusDescription {
                span.status.message = description.value
                span.attributes.remove(at: description.attributeIndex)
            }
        }
        if !linkTags.isEmpty { try applyLinks(linkTags, to: &span) }
        return mayShadowEndpoints
    }

    private func appendAttribute(_ tag: KeyValue, to span: inout Span) {
        guard parseStringTags else { return span.attributes.append(tag) }
        span.attributes.append(KeyValue(tag.key, ZipkinTags.typedValue(tag.value.stringValue)))
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
    private func applyLinks(_ linkTags: [(index: Int, tag: KeyValue)], to span: inout Span) throws(ZipkinDecodeError) {
        var byIndex = [KeyValue?](repeating: nil, count: 128)
        for (index, tag) in linkTags { byIndex[index] = tag }
        var next = 0
        while next < 128, let tag = byIndex[next] {
            if let link = try inZipkinField("tags." + tag.key, { () throws(ZipkinDecodeError) in try ZipkinPipeEncoding.link(tag.value.stringValue) }) {
                span.links.append(link)
            }
            next += 1
        }
        for (index, tag) in linkTags where index > next { appendAttribute(tag, to: &span) }
    }
}
