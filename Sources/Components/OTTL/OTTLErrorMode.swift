import Config
import Diagnostics

/// `error_mode`: what a statement or condition that fails on some data does. `ignore` (the
/// default) logs it and goes on, `silent` goes on without a word, `propagate` fails the batch.
enum OTTLErrorMode: String, Sendable {
    case ignore, silent, propagate

    static func parse(_ r: ConfigReader, default value: OTTLErrorMode = .ignore) throws(ConfigError) -> OTTLErrorMode {
        guard let text = try r.string("error_mode") else { return value }
        guard let mode = OTTLErrorMode(rawValue: text) else {
            throw r.error("error_mode", "unknown error mode \(text); expected ignore, silent or propagate")
        }
        return mode
    }

    /// Whether to go on after `error`, logging it as the mode says.
    func handle(_ error: OTTLError, _ what: String, logger: Logger) -> Bool {
        switch self {
        case .propagate: return false
        case .silent: return true
        case .ignore:
            logger.warn("failed to execute \(what)", ["error": error.description])
            return true
        }
    }
}

extension ConfigReader {
    /// A list of OTTL statements or conditions, each bound by `compile`; a problem names the
    /// entry, the statement and the column.
    func ottlList<T>(_ key: String, _ compile: (String) throws(OTTLConfigError) -> T) throws(ConfigError) -> [T]? {
        guard let texts = try stringList(key) else { return nil }
        var out: [T] = []
        for (i, text) in texts.enumerated() {
            do {
                out.append(try compile(text))
            } catch {
                throw self.error("\(key)[\(i)]", error.description)
            }
        }
        return out
    }
}
