// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Shared vocabulary: ecosystems, package identities, severities, ARNs, errors. Foundation only.
        .target(name: "VigilCore"),
        // Version parsing and ordering per ecosystem, and OSV affected-range evaluation.
        .target(name: "Versions", dependencies: ["VigilCore"]),
        // Vulnerability intelligence: CVSS scoring now; OSV/KEV/EPSS import and the advisory store next.
        .target(name: "Advisories", dependencies: ["VigilCore", "Versions"]),
        // The `vigil` command line: ArgumentParser commands as a library so tests can drive them.
        .target(
            name: "CLI",
            dependencies: [
                "VigilCore", "Versions", "Advisories",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The `vigil` executable: a one-line dispatcher into CLI.
        .executableTarget(name: "vigil", dependencies: ["CLI"]),

        // Helpers shared by the test targets: running external programs, repository paths.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(name: "VersionsTests", dependencies: ["Versions", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "AdvisoriesTests", dependencies: ["Advisories", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "vigil", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
