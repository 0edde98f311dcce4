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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // Shared vocabulary: ecosystems, package identities, severities, ARNs, errors. Foundation only.
        .target(name: "VigilCore"),
        // Version parsing and ordering per ecosystem, and OSV affected-range evaluation.
        .target(name: "Versions", dependencies: ["VigilCore"]),
        // What is installed in an artifact: filesystems, OS detection, catalogers, SBOM output.
        .target(name: "Inventory", dependencies: ["VigilCore", "Archives", .product(name: "GRDB", package: "GRDB.swift")]),
        // zlib and zstd from the system (Debian's -dev packages) for streaming layer decompression.
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),
        // Safe reading of archives: zip, gzip, zstd and tar (bounded everywhere); container images from
        // OCI layouts, docker-archive tarballs and registries (Distribution v2, AsyncHTTPClient).
        .target(
            name: "Archives",
            dependencies: [
                "VigilCore", "CCompression", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // Vulnerability intelligence, pure: OSV records, KEV and EPSS parsing, CVSS scoring.
        .target(name: "Advisories", dependencies: ["VigilCore", "Versions"]),
        // The advisory database: a SQLite file (GRDB) built aside and swapped in, its importers and updater.
        .target(
            name: "AdvisoryStore",
            dependencies: ["VigilCore", "Versions", "Advisories", "Archives", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Inventory × advisories → matches.
        .target(name: "Matching", dependencies: ["VigilCore", "Versions", "Advisories", "AdvisoryStore"]),
        // Findings in inspector2's shape, built from matches.
        .target(name: "Findings", dependencies: ["VigilCore", "Versions", "Advisories", "AdvisoryStore", "Matching"]),
        // Service state: principals and keys (secrets sealed at rest), account enablement (SQLite via GRDB).
        .target(name: "Storage", dependencies: ["VigilCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]),
        // The inspector2 / inspector-scan wire protocol: routing from botocore's model, SigV4, errors (Hummingbird).
        // The scanning engine of `vigil serve`: job queue workers, sources, re-evaluation.
        .target(name: "Service", dependencies: ["VigilCore", "Advisories", "AdvisoryStore", "Archives", "Inventory", "Matching", "Findings", "Storage",
                                                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]),
        .target(name: "API", dependencies: ["VigilCore", "Advisories", "AdvisoryStore", "Inventory", "Findings", "Storage", "Service", .product(name: "Hummingbird", package: "hummingbird"),
                                            .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                                            .product(name: "HTTPTypes", package: "swift-http-types")]),
        // The `vigil` command line: ArgumentParser commands as a library so tests can drive them.
        .target(
            name: "CLI",
            dependencies: [
                "VigilCore", "Versions", "Advisories", "AdvisoryStore", "Inventory", "Archives", "Matching", "Findings", "API", "Storage", "Service",
                // GRDB only for `vigil bench reevaluate`, which revises a copy of an advisory database.
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The `vigil` executable: a one-line dispatcher into CLI.
        .executableTarget(name: "vigil", dependencies: ["CLI"]),

        // Helpers shared by the test targets: running external programs, repository paths.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"]),
        .testTarget(name: "VersionsTests", dependencies: ["Versions", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "AdvisoriesTests", dependencies: ["Advisories", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "InventoryTests", dependencies: ["Inventory", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "ArchivesTests", dependencies: ["Archives", "Inventory", "VigilCore", "TestSupport"], exclude: ["Oracles", "Fixtures"]),
        .testTarget(name: "AdvisoryStoreTests", dependencies: ["AdvisoryStore", "Advisories", "VigilCore", "TestSupport"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Findings", "AdvisoryStore", "Inventory", "VigilCore", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "APITests", dependencies: ["API", "Service", "Storage", "vigil", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "vigil", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
