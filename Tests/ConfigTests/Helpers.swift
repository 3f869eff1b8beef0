@testable import Config

func map(_ pairs: KeyValuePairs<String, ConfigNode>) -> ConfigNode {
    .mapping(pairs.map { ConfigEntry(key: $0.key, value: $0.value) })
}

func s(_ text: String) -> ConfigNode { .scalar(text) }

func list(_ items: String...) -> ConfigNode { .sequence(items.map { .scalar($0) }) }

func yaml(_ text: String) throws -> ConfigNode { try YAMLParser.parse(text, file: "test.yaml") }

/// The thrown ConfigError, or nil when the body does not throw one.
func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch {
        return error as? ConfigError
    }
}
