import Pipeline

/// The component types a binary knows, looked up by kind and type string.
public struct ComponentRegistry: Sendable {
    public let factories: [ComponentFactory]

    public init(_ factories: [ComponentFactory]) {
        self.factories = factories
    }

    public static let builtin = ComponentRegistry(BuiltinComponents.all)

    public func factory(_ kind: ComponentKind, _ type: String) -> ComponentFactory? {
        factories.first { $0.kind == kind && $0.type == type }
    }

    public func types(_ kind: ComponentKind) -> [String] {
        factories.filter { $0.kind == kind }.map(\.type)
    }
}
