// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for the OTLP decoders. Build (as swift-protobuf's FuzzTesting does):
//   swift build -c debug --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// or run scripts/fuzz.sh TARGET SECONDS.
let package = Package(
    name: "SwiftletFuzz",
    dependencies: [.package(name: "Swiftlet", path: "..")],
    targets: [
        .executableTarget(name: "FuzzOTLPProto", dependencies: [.product(name: "SwiftletWireFormats", package: "Swiftlet")]),
        .executableTarget(name: "FuzzOTLPJSON", dependencies: [.product(name: "SwiftletWireFormats", package: "Swiftlet")]),
    ]
)
