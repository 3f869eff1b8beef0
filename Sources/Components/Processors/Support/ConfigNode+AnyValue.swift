import Config
import TraceModel

extension ConfigNode {
    /// The attribute value a config value stands for, as pdata's `Value.FromRaw` makes it from what
    /// the Collector decodes into `any`: YAML's integers, floats, booleans and strings, lists as
    /// arrays, mappings as maps; nil for null (no value given).
    var attributeValue: AnyValue? {
        switch self {
        case .null: return nil
        case .sequence(let items): return .array(items.map { $0.attributeValue ?? .empty })
        case .mapping(let entries): return .kvlist(entries.map { KeyValue($0.key, $0.value.attributeValue ?? .empty) })
        case .scalar, .string:
            switch typedScalar {
            case .bool(let b)?: return .bool(b)
            case .int(let i)?: return .int(i)
            case .double(let d)?: return .double(d)
            case .string(let s)?: return .string(s)
            case .null?, nil: return nil
            }
        }
    }
}
