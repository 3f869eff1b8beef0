/// Every component type this binary carries. Adding a component touches its folder, this list and
/// a config fixture — nothing else.
public enum BuiltinComponents {
    public static let all: [ComponentFactory] = [
        OTLPReceiver.factory,
        JaegerReceiver.factory,
        ZipkinReceiver.factory,
        BatchProcessor.factory,
        K8sAttributesProcessor.factory,
        K8sAttributesProcessor.aliasFactory,
        MemoryLimiter.factory,
        AttributesProcessor.factory,
        ResourceProcessor.factory,
        FilterProcessor.factory,
        TransformProcessor.factory,
        ProbabilisticSampler.factory,
        TailSamplingProcessor.factory,
        DebugExporter.factory,
        DebugExporter.loggingFactory,
        OTLPGRPCExporter.factory,
        OTLPGRPCExporter.legacyFactory,
        OTLPHTTPExporter.factory,
        OTLPHTTPExporter.legacyFactory,
        NopExporter.factory,
        TraceStoreExporter.factory,
        LoadBalancingExporter.factory,
        LoadBalancingExporter.aliasFactory,
        HealthCheckExtension.factory,
        FileStorageExtension.factory,
        TraceQueryExtension.factory,
        BasicAuthExtension.factory,
        BearerTokenAuthExtension.factory,
    ]
}
