/// Which Thrift protocol bytes are written in (the Jaeger agent's UDP 6831 takes compact, 6832 binary).
public enum ThriftProtocolKind: String, Sendable {
    case binary, compact
}
