// swift-tools-version:6.0
import PackageDescription

// Every Swift target is built in the Swift 6 language mode. The server path (everything the
// `swiftlet` executable links) imports no Foundation: it would add tens of MB to a static binary.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Swiftlet",
    products: [
        .executable(name: "swiftlet", targets: ["Swiftlet"]),
        .library(name: "SwiftletWireFormats", targets: ["TraceModel", "WireFormats"]),
        .library(name: "SwiftletTransport", targets: ["Transport"]),
        .library(name: "SwiftletCore", targets: ["TraceModel", "WireFormats", "Pipeline", "Config", "Transport", "Components", "Diagnostics", "Kubernetes"]),
    ],
    targets: [
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // OpenSSL's headers; the library is loaded on first use by CSSLLoader, not linked.
        .systemLibrary(name: "CSSL", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSSLLoader"),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CEpoll"),

        .target(name: "TraceModel", swiftSettings: strict),
        .target(name: "Diagnostics", dependencies: ["CMalloc"], swiftSettings: strict),
        .target(name: "WireFormats", dependencies: ["TraceModel", "Diagnostics"], swiftSettings: strict),
        .target(name: "Transport", dependencies: ["CZlib", "CZstd", "CDeflate", "CNGHTTP2", "CSSL", "CSSLLoader", "CEpoll", "Diagnostics"], swiftSettings: strict),
        .target(name: "Pipeline", dependencies: ["TraceModel", "Diagnostics"], swiftSettings: strict),
        .target(name: "Config", dependencies: ["CYAML", "Diagnostics"], swiftSettings: strict),
        .target(name: "Kubernetes", dependencies: ["Transport", "WireFormats", "Config", "Diagnostics"], swiftSettings: strict),
        .target(
            name: "Components",
            dependencies: ["TraceModel", "Diagnostics", "WireFormats", "Transport", "Pipeline", "Config", "Kubernetes"],
            swiftSettings: strict),
        .target(name: "SwiftletCLI", dependencies: ["Components", "Config", "Diagnostics", "Pipeline", "Transport"], swiftSettings: strict),
        .executableTarget(name: "Swiftlet", dependencies: ["SwiftletCLI"], swiftSettings: strict),
        .target(name: "SwiftletTestKit", dependencies: ["TraceModel", "Pipeline"], swiftSettings: strict),

        .testTarget(name: "TraceModelTests", dependencies: ["TraceModel"], swiftSettings: strict),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics"], swiftSettings: strict),
        .testTarget(
            name: "WireFormatsTests", dependencies: ["WireFormats", "SwiftletTestKit"],
            resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "CZlib"], swiftSettings: strict),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "SwiftletTestKit"], swiftSettings: strict),
        .testTarget(name: "ConfigTests", dependencies: ["Config"], swiftSettings: strict),
        .testTarget(name: "KubernetesTests", dependencies: ["Kubernetes", "Transport"], swiftSettings: strict),
        .testTarget(name: "SwiftletCLITests", dependencies: ["SwiftletCLI"], swiftSettings: strict),
        .testTarget(
            name: "ComponentsTests", dependencies: ["Components", "SwiftletTestKit"],
            resources: [.copy("Golden")], swiftSettings: strict),
    ]
)
