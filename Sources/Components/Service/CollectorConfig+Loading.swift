import Config
import Diagnostics
import Pipeline

extension CollectorConfig {
    /// Types a merged, expanded config tree with the given component registry.
    public static func load(_ root: ConfigNode, file: String, registry: ComponentRegistry = .builtin) throws(ConfigProblems) -> CollectorConfig {
        var loader = Loader(file: file, registry: registry)
        do throws(ConfigError) {
            try loader.load(root)
        } catch {
            loader.problems.append(error)
        }
        if !loader.problems.isEmpty { throw ConfigProblems(errors: loader.problems, warnings: loader.config.warnings) }
        return loader.config
    }
}

private struct Loader {
    let file: String
    let registry: ComponentRegistry
    var config = CollectorConfig()
    var problems: [ConfigError] = []
    /// Components already reported (unsupported type or bad config), as "kind:id".
    var reported = Set<String>()

    init(file: String, registry: ComponentRegistry) {
        self.file = file
        self.registry = registry
    }

    mutating func load(_ root: ConfigNode) throws(ConfigError) {
        let top = try ConfigReader(root, path: "", file: file)
        let sections = try ComponentKind.allCases.map { kind throws(ConfigError) in (kind, try top.child(kind.section)) }
        guard let service = try top.child("service") else {
            throw top.error(nil, "missing the 'service' section: a config needs service::pipelines")
        }
        try top.finish(recursive: false)
        try readService(service)
        var used = Set<String>()
        for p in config.pipelines {
            for id in p.receivers { used.insert("receiver:\(id)") }
            for id in p.processors { used.insert("processor:\(id)") }
            for id in p.exporters { used.insert("exporter:\(id)") }
        }
        for id in config.serviceExtensions { used.insert("extension:\(id)") }
        for (kind, section) in sections {
            guard let section else { continue }
            if kind == .connector {
                if !section.keys.isEmpty {
                    throw section.error(nil, "connectors are not supported: Swiftlet carries traces only and runs each pipeline on its own")
                }
                continue
            }
            for key in section.keys {
                readComponent(kind, key: key, section: section, used: used.contains("\(kind.rawValue):\(key)"))
            }
        }
        checkReferences()
    }

    mutating func readComponent(_ kind: ComponentKind, key: String, section: ConfigReader, used: Bool) {
        let path = section.path.isEmpty ? key : "\(section.path)::\(key)"
        let id: ComponentID
        do { id = try ComponentID(parsing: key) } catch {
            problems.append(section.error(key, error.description))
            return
        }
        guard let factory = registry.factory(kind, id.type) else {
            let supported = registry.types(kind).joined(separator: ", ")
            if used {
                reported.insert("\(kind.rawValue):\(id)")
                problems.append(section.error(key, "Swiftlet has no \(kind.rawValue) of type '\(id.type)' (supported: \(supported))"))
            } else {
                config.warnings.append("\(path): \(kind.rawValue) type '\(id.type)' is not supported by Swiftlet and no pipeline uses it; skipped")
            }
            return
        }
        do throws(ConfigError) {
            let node = section.node(key) ?? .null
            let reader = try ConfigReader(node, path: path, file: file)
            let parsed = try factory.parseConfig(reader)
            try reader.finish()
            if factory.stability == .deprecated {
                config.warnings.append("\(path): the \(kind.rawValue) type '\(id.type)' is deprecated; see the README for its replacement")
            }
            let entry = CollectorConfig.Entry(id: id, factory: factory, config: parsed, node: node)
            switch kind {
            case .receiver: config.receivers[id] = entry
            case .processor: config.processors[id] = entry
            case .exporter: config.exporters[id] = entry
            case .extension: config.extensions[id] = entry
            case .connector: break
            }
        } catch {
            reported.insert("\(kind.rawValue):\(id)")
            problems.append(error)
        }
    }

    mutating func readService(_ service: ConfigReader) throws(ConfigError) {
        if let list = try service.stringList("extensions") {
            config.serviceExtensions = try list.map { s throws(ConfigError) in try parseID(s, service, "extensions") }
        }
        if let telemetry = try service.child("telemetry") { try readTelemetry(telemetry) }
        if let limit = try service.int("admission_limit_mib") {
            guard limit >= 0 else { throw service.error("admission_limit_mib", "must not be negative") }
            config.admissionLimitMiB = limit
        }
        guard let pipelines = try service.child("pipelines"), !pipelines.keys.isEmpty else {
            throw service.error("pipelines", "no pipelines are configured: add service::pipelines::traces")
        }
        for key in pipelines.keys { try readPipeline(key, pipelines) }
        try pipelines.finish()
        try service.finish()
    }

    mutating func readTelemetry(_ telemetry: ConfigReader) throws(ConfigError) {
        if let logs = try telemetry.child("logs") {
            if let level = try logs.string("level") {
                guard let parsed = LogLevel(name: level) else {
                    throw logs.error("level", "expected one of debug, info, warn, error, got '\(level)'")
                }
                config.logLevel = parsed
            }
            if let encoding = try logs.string("encoding") {
                guard encoding == "console" || encoding == "json" else {
                    throw logs.error("encoding", "expected console or json, got '\(encoding)'")
                }
                config.logEncoding = encoding
            }
            if let fields = try logs.child("initial_fields") {
                for key in fields.keys.sorted() { config.logInitialFields.append((key, try fields.string(key) ?? "")) }
            }
            try logs.finish()
        }
        if let metrics = try telemetry.child("metrics") {
            if let level = try metrics.string("level") {
                guard ["none", "basic", "normal", "detailed"].contains(level) else {
                    throw metrics.error("level", "expected one of none, basic, normal, detailed, got '\(level)'")
                }
                if level == "none" { config.metricsEndpoint = nil }
            }
            if let address = try metrics.string("address"), config.metricsEndpoint != nil {
                config.metricsEndpoint = address
            }
            try metrics.finish()
        }
        try telemetry.finish()
    }

    mutating func readPipeline(_ key: String, _ pipelines: ConfigReader) throws(ConfigError) {
        let id = try parseID(key, pipelines, nil)
        guard id.type == "traces" else {
            throw pipelines.error(key, "'\(id.type)' pipelines are not supported: Swiftlet carries traces only (use 'traces' or 'traces/<name>')")
        }
        guard let p = try pipelines.child(key) else { return }
        func ids(_ field: String) throws(ConfigError) -> [ComponentID] {
            try (p.stringList(field) ?? []).map { s throws(ConfigError) in try parseID(s, p, field) }
        }
        let spec = CollectorConfig.PipelineSpec(
            id: id, receivers: try ids("receivers"), processors: try ids("processors"), exporters: try ids("exporters"))
        try p.finish()
        if spec.receivers.isEmpty { throw p.error("receivers", "a pipeline needs at least one receiver") }
        if spec.exporters.isEmpty { throw p.error("exporters", "a pipeline needs at least one exporter") }
        if Set(spec.processors).count != spec.processors.count {
            throw p.error("processors", "a processor may appear only once in a pipeline")
        }
        config.pipelines.append(spec)
    }

    func parseID(_ text: String, _ reader: ConfigReader, _ key: String?) throws(ConfigError) -> ComponentID {
        do { return try ComponentID(parsing: text) } catch { throw reader.error(key, error.description) }
    }

    /// A pipeline or the service may only name components the config defines.
    mutating func checkReferences() {
        for p in config.pipelines {
            let path = "service::pipelines::\(p.id)"
            for (kind, ids) in [(ComponentKind.receiver, p.receivers), (.processor, p.processors), (.exporter, p.exporters)] {
                for id in ids where config.entries(kind)[id] == nil && !isReported(kind, id) {
                    problems.append(ConfigError(file: file, keyPath: path, message: "references \(kind.rawValue) '\(id)', which is not configured in \(kind.section)"))
                }
            }
        }
        for id in config.serviceExtensions where config.extensions[id] == nil && !isReported(.extension, id) {
            problems.append(ConfigError(file: file, keyPath: "service::extensions", message: "references extension '\(id)', which is not configured in extensions"))
        }
    }

    func isReported(_ kind: ComponentKind, _ id: ComponentID) -> Bool { reported.contains("\(kind.rawValue):\(id)") }
}
