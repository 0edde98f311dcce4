import Foundation
import Testing
import TestSupport

/// `vigil sbom` end to end: a root filesystem to CycloneDX, that SBOM back to Vigil's JSON, and bad
/// targets named on standard error with exit status 2.
struct SBOMCommandTests {
    @Test func convertsItsOwnCycloneDXBack() throws {
        let scratch = try ScratchDirectory()
        for path in ["var/lib/dpkg/status", "etc/os-release"] {
            let target = scratch.url.appending(path: "root/" + path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: "/" + path).resolvingSymlinksInPath(), to: target)
        }
        let bom = scratch.path("bom.cdx.json").path
        let first = try VersionsCommandTests.run(["sbom", scratch.path("root").path, "--format", "cyclonedx", "-o", bom])
        #expect(first.status == 0, "\(first.errors)")
        let direct = try VersionsCommandTests.run(["sbom", scratch.path("root").path])
        let converted = try VersionsCommandTests.run(["sbom", bom])
        #expect(converted.status == 0, "\(converted.errors)")
        func packages(_ json: String) throws -> [String] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            return (object["packages"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "") \($0["version"] ?? "") \($0["ecosystem"] ?? "") \($0["sourceName"] ?? "")" }.sorted()
        }
        let expected = try packages(direct.output)
        #expect(expected.count > 20)
        #expect(try packages(converted.output) == expected)
    }

    @Test(arguments: [("{\"hello\": 1}", "neither CycloneDX nor SPDX"), ("PK\u{3}\u{4}garbage", "zip")])
    func badFilesAreNamed(_ content: String, _ fragment: String) throws {
        let scratch = try ScratchDirectory()
        let file = scratch.path("target.bin")
        try Data(content.utf8).write(to: file)
        let result = try VersionsCommandTests.run(["sbom", file.path])
        #expect(result.status == 2)
        #expect(result.errors.contains(file.path), "\(result.errors)")
        #expect(result.errors.contains(fragment), "\(result.errors)")
    }

    /// Images through the command line: an explicit oci: reference and a bare docker-archive tarball
    /// (recognised by its content), both in CycloneDX with the layer of each package.
    @Test(.timeLimit(.minutes(2)))
    func imagesByReferenceAndByFile() throws {
        let scratch = try ScratchDirectory()
        let images = scratch.path("images")
        _ = try Subprocess.lines(["bash", Repository.root.appending(path: "Tests/ArchivesTests/Fixtures/make-images.sh").path, images.path])
        var documents: [[String: Any]] = []
        for target in ["oci:\(images.path)/layout:app", images.appending(path: "app-docker.tar").path] {
            let result = try VersionsCommandTests.run(["sbom", target, "--format", "cyclonedx", "--data-dir", scratch.path("data").path])
            #expect(result.status == 0, "\(result.errors)")
            documents.append(try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]))
        }
        for document in documents {
            let components = document["components"] as? [[String: Any]] ?? []
            #expect(components.count > 40)
            let layered = components.filter { ($0["properties"] as? [[String: String]] ?? []).contains { $0["name"] == "vigil:layer" } }
            #expect(layered.count == components.count - 1)  // all but the operating system
        }
        // The second read of the same layers came from the cache in the data directory.
        let cached = try FileManager.default.contentsOfDirectory(atPath: scratch.path("data/layers").path)
        #expect(cached.count == 6)  // three OCI layers, three docker-archive (uncompressed) layers
    }

    @Test func aMissingTargetIsNamed() throws {
        let result = try VersionsCommandTests.run(["sbom", "/nonexistent/vigil-target"])
        #expect(result.status == 2)
        #expect(result.errors.contains("/nonexistent/vigil-target: no such file or directory"), "\(result.errors)")
    }
}
