// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for every decoder and parser (the list is FUZZ_TARGETS in the Makefile). Build (as swift-protobuf's FuzzTesting does):
//   swift build -c debug --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// or run scripts/fuzz.sh TARGET SECONDS.
let package = Package(
    name: "SwiftletFuzz",
    dependencies: [.package(name: "Swiftlet", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzOTLPProto", dependencies: ["FuzzSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzOTLPJSON", dependencies: ["FuzzSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzHTTPRequest", dependencies: ["FuzzSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .target(name: "FuzzZipkinSupport", dependencies: [.product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzZipkinV2JSON", dependencies: ["FuzzSupport", "FuzzZipkinSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzZipkinProto", dependencies: ["FuzzSupport", "FuzzZipkinSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzZipkinV1JSON", dependencies: ["FuzzSupport", "FuzzZipkinSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzZipkinV1Thrift", dependencies: ["FuzzSupport", "FuzzZipkinSupport", .product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzHTTP2Frames", dependencies: ["FuzzSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzGRPCMessage", dependencies: ["FuzzSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzDNS", dependencies: ["FuzzSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzTLS", dependencies: ["FuzzSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzQueueSegment", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .target(name: "FuzzJaegerSupport", dependencies: [.product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzThriftBinary", dependencies: ["FuzzSupport", "FuzzJaegerSupport"]),
        .executableTarget(name: "FuzzThriftCompact", dependencies: ["FuzzSupport", "FuzzJaegerSupport"]),
        .executableTarget(name: "FuzzJaegerProto", dependencies: ["FuzzSupport", "FuzzJaegerSupport"]),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .executableTarget(name: "FuzzTraceQL", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .executableTarget(name: "FuzzOTTL", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .executableTarget(name: "FuzzKubernetes", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .executableTarget(name: "FuzzHtpasswd", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .executableTarget(name: "FuzzGoDuration", dependencies: ["FuzzSupport", .product(name: "SwiftletCore", package: "Swiftlet")]),
        .target(name: "FuzzCompressionSupport", dependencies: [.product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzInflate", dependencies: ["FuzzSupport", "FuzzCompressionSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
        .executableTarget(name: "FuzzZstd", dependencies: ["FuzzSupport", "FuzzCompressionSupport", .product(name: "SwiftletTransport", package: "Swiftlet")]),
    ]
)
