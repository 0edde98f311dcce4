import Foundation
@testable import Inventory
import Testing
import TestSupport
import VigilCore

struct InventoryTests {
    /// This machine's own dpkg database, against dpkg-query's view of it.
    @Test func dpkgStatusEqualsDpkgQuery() throws {
        let lines = try Subprocess.lines([
            "dpkg-query", "-W", "-f", "${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n",
        ])
        let expected = Set(lines.filter { $0.hasPrefix("installed ") }.map { String($0.dropFirst("installed ".count)) })
        // A root holding this machine's dpkg database and os-release (walking all of / would be slow).
        let (_, inventory) = try SBOMTests.hostLikeInventory()
        let dpkg = inventory.packages.filter { $0.path == "/var/lib/dpkg/status" }
        let got = Set(dpkg.map { "\($0.name) \($0.version) \($0.architecture ?? "") \($0.sourceName ?? "") \($0.sourceVersion ?? "")" })
        #expect(expected.count > 100)
        #expect(got == expected, "only in vigil: \(got.subtracting(expected).prefix(5)); only in dpkg-query: \(expected.subtracting(got).prefix(5))")
        #expect(dpkg.count == expected.count, "no duplicates")
        let os = try #require(inventory.operatingSystem)
        #expect(os.ecosystem?.hasPrefix("Debian:") == true)
        #expect(dpkg.allSatisfy { $0.ecosystem == os.ecosystem && $0.packageManager == .os && $0.purl.hasPrefix("pkg:deb/debian/") })
    }

    /// A root whose links try to leave it: absolute targets, `..` chains and a cycle.
    @Test func symbolicLinksStayInsideTheRoot() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.path("root")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appending(path: "etc"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appending(path: "usr/lib"), withIntermediateDirectories: true)
        try Data("secret outside the root\n".utf8).write(to: scratch.path("outside.txt"))
        try Data("ID=alpine\nVERSION_ID=3.19.1\n".utf8).write(to: root.appending(path: "usr/lib/os-release"))
        // Absolute target: resolved inside the root, so it reaches the root's own file.
        try fm.createSymbolicLink(atPath: root.appending(path: "etc/os-release").path, withDestinationPath: "/usr/lib/os-release")
        // Relative escape: ".." stops at the root.
        try fm.createSymbolicLink(atPath: root.appending(path: "etc/escape").path, withDestinationPath: "../../../../outside.txt")
        try fm.createSymbolicLink(atPath: root.appending(path: "etc/absolute-escape").path, withDestinationPath: scratch.path("outside.txt").path)
        try fm.createSymbolicLink(atPath: root.appending(path: "etc/a").path, withDestinationPath: "b")
        try fm.createSymbolicLink(atPath: root.appending(path: "etc/b").path, withDestinationPath: "a")

        let fs = try DirectoryFileSystem(root: root.path)
        #expect(try fs.text("/etc/os-release") == "ID=alpine\nVERSION_ID=3.19.1\n")
        #expect(try fs.read("/etc/escape") == nil)
        #expect(try fs.read("/etc/absolute-escape") == nil)
        #expect(try fs.read("/../outside.txt") == nil)
        #expect(throws: InventoryError.self) { try fs.read("/etc/a") }
        var walked: [String] = []
        fs.walk("/") { walked.append($0.path) }
        #expect(walked == ["/usr/lib/os-release"])
        #expect(OSDetector.detect(fs)?.ecosystem == "Alpine:v3.19")
    }

    struct Release: Sendable, CustomTestStringConvertible {
        var files: [String: String]
        var ecosystem: String?
        var testDescription: String { ecosystem ?? "unknown" }
    }

    // os-release and release files as the distributions ship them (their documented contents, trimmed).
    @Test(arguments: [
        Release(files: ["/etc/os-release": "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n"], ecosystem: "Ubuntu:22.04:LTS"),
        Release(files: ["/etc/os-release": "NAME=\"Ubuntu\"\nVERSION_ID=\"23.10\"\nVERSION=\"23.10 (Mantic Minotaur)\"\nID=ubuntu\n"], ecosystem: "Ubuntu:23.10"),
        Release(files: ["/usr/lib/os-release": "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"], ecosystem: "Alpine:v3.19"),
        Release(files: ["/etc/os-release": "NAME=\"AlmaLinux\"\nVERSION=\"9.3 (Shamrock Pampas Cat)\"\nID=\"almalinux\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n"], ecosystem: "AlmaLinux:9"),
        Release(files: ["/etc/os-release": "NAME=\"Rocky Linux\"\nVERSION=\"9.3 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n"], ecosystem: "Rocky Linux:9"),
        Release(files: ["/etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n", "/etc/debian_version": "trixie/sid\n"], ecosystem: nil),
        Release(files: ["/etc/debian_version": "11.9\n"], ecosystem: "Debian:11"),
        Release(files: ["/etc/alpine-release": "3.18.4\n"], ecosystem: "Alpine:v3.18"),
        Release(files: ["/etc/redhat-release": "AlmaLinux release 8.9 (Midnight Oncilla)\n"], ecosystem: "AlmaLinux:8"),
        Release(files: ["/etc/os-release": "ID=wolfi\nNAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\n"], ecosystem: "Wolfi"),
        Release(files: ["/etc/os-release": "ID=plan9\nNAME=\"Plan 9\"\n"], ecosystem: nil),
        Release(files: ["/var/lib/dpkg/status.d/base": "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"], ecosystem: "Debian"),
    ])
    func detectsTheDistribution(_ release: Release) throws {
        let scratch = try ScratchDirectory()
        for (path, contents) in release.files {
            let url = scratch.url.appending(path: String(path.dropFirst()))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
        let os = try #require(OSDetector.detect(try DirectoryFileSystem(root: scratch.url.path)))
        #expect(os.ecosystem == release.ecosystem)
        if release.ecosystem == nil { #expect(os.note != nil, "an unknown release is reported, not guessed") }
    }

    /// The apk installed database format (fields from apk-tools' documentation: P name, V version,
    /// A arch, o origin), and a distroless dpkg status.d with a source package.
    @Test func apkAndDistrolessDpkg() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.url
        func write(_ path: String, _ text: String) throws {
            let url = root.appending(path: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n")
        try write("lib/apk/db/installed", """
            C:Q1abc=
            P:libcrypto3
            V:3.1.4-r5
            A:x86_64
            S:1700000
            I:4000000
            o:openssl
            m:Natanael Copa

            C:Q1def=
            P:musl
            V:1.2.4_git20230717-r4
            A:x86_64
            o:musl

            """)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root.path))
        #expect(inventory.problems.isEmpty)
        let crypto = try #require(inventory.packages.first { $0.name == "libcrypto3" })
        #expect(crypto.sourceName == "openssl")
        #expect(crypto.ecosystem == "Alpine:v3.19")
        #expect(crypto.purl == "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl")
        #expect(inventory.packages.map(\.name) == ["libcrypto3", "musl"])

        let distroless = try ScratchDirectory()
        let status = distroless.url.appending(path: "var/lib/dpkg/status.d")
        try FileManager.default.createDirectory(at: status, withIntermediateDirectories: true)
        try Data("Package: libssl3\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n".utf8)
            .write(to: status.appending(path: "libssl3"))
        let libssl = try #require(Cataloging.inventory(of: try DirectoryFileSystem(root: distroless.url.path)).packages.first)
        #expect(libssl.sourceName == "openssl")
        #expect(libssl.sourceVersion == "3.0.11-1~deb12u2")
        #expect(libssl.ecosystem == "Debian")
    }

    /// Metadata written with CRLF line ends, as some wheels ship it (pip's own METADATA does).
    @Test func crlfMetadataIsRead() throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.url.appending(path: "site-packages/pip-23.2.1.dist-info")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("Metadata-Version: 2.1\r\nName: pip\r\nVersion: 23.2.1\r\n\r\nName: not-this\r\n".utf8).write(to: dir.appending(path: "METADATA"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.isEmpty)
        #expect(inventory.packages.map { "\($0.name) \($0.version)" } == ["pip 23.2.1"])
    }

    @Test func aCorruptDatabaseIsNamedAndTheRestStillComesOut() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appending(path: "var/lib/dpkg"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appending(path: "lib/apk/db"), withIntermediateDirectories: true)
        try Data([0x00, 0xFF, 0xFE, 0x13, 0x37]).write(to: root.appending(path: "var/lib/dpkg/status"))
        try Data("P:busybox\nV:1.36.1-r15\n\nV:orphan\n".utf8).write(to: root.appending(path: "lib/apk/db/installed"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root.path))
        #expect(inventory.problems.contains("/var/lib/dpkg/status: no package stanzas"))
        #expect(inventory.problems.contains("/lib/apk/db/installed: a package entry without P: or V:"))
        #expect(inventory.packages.map(\.name) == ["busybox"])
    }
}

/// Real wheels installed from PyPI with pip (old, vulnerable versions, as ORACLES.md suggests).
struct PythonInventoryTests {
    @Test(.timeLimit(.minutes(3)))
    func installedWheelsAreFound() throws {
        let scratch = try ScratchDirectory()
        let site = scratch.url.appending(path: "usr/lib/python3/dist-packages")
        _ = try Subprocess.lines(["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--disable-pip-version-check",
                                  "--only-binary=:all:", "--target", site.path, "requests==2.19.1", "urllib3==1.24.1", "Jinja2==2.10"])
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let found = Set(inventory.packages.map { "\($0.name) \($0.version) \($0.purl)" })
        #expect(found == [
            "requests 2.19.1 pkg:pypi/requests@2.19.1",
            "urllib3 1.24.1 pkg:pypi/urllib3@1.24.1",
            "Jinja2 2.10 pkg:pypi/jinja2@2.10",
        ])
        #expect(inventory.packages.allSatisfy { $0.ecosystem == "PyPI" && $0.packageManager == .pythonPackage })
        #expect(inventory.packages.allSatisfy { $0.path.hasPrefix("/usr/lib/python3/dist-packages/") && $0.path.hasSuffix(".dist-info/METADATA") })
    }
}

/// Host scans read language packages only under the deep-inspection paths, and bound their work.
struct ScopeTests {
    static func tree() throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        func write(_ path: String, _ text: String) throws {
            let url = scratch.url.appending(path: path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        try write("var/lib/dpkg/status", "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n\n")
        try write("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")
        try write("usr/local/lib64/node_modules/lodash/package.json", #"{"name": "lodash", "version": "4.17.20"}"#)
        try write("opt/app/requirements.txt", "Django==2.2.1\n")
        try write("home/user/project/package-lock.json", #"{"lockfileVersion": 3, "packages": {"": {"name": "p"}, "node_modules/axios": {"version": "0.21.0"}}}"#)
        for k in 0..<50 { try write("usr/share/doc/filler/\(k).txt", "x") }
        return scratch
    }

    static func names(_ inventory: Inventory) -> [String] { inventory.packages.map(\.name).sorted() }

    @Test func wholeTreeFindsEverything() throws {
        let scratch = try Self.tree()
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(Self.names(inventory) == ["Django", "axios", "lodash", "six", "zlib1g"])
    }

    @Test func hostScopeReadsOnlyDeepInspectionPaths() throws {
        let scratch = try Self.tree()
        let fs = try DirectoryFileSystem(root: scratch.url.path)
        let host = Cataloging.inventory(of: fs, scope: .host())
        #expect(Self.names(host) == ["lodash", "six", "zlib1g"])
        #expect(host.problems.isEmpty)
        let extra = Cataloging.inventory(of: fs, scope: .host(extraPaths: ["/opt/app/", "/usr/lib/python3"]))
        #expect(Self.names(extra) == ["Django", "lodash", "six", "zlib1g"])
    }

    @Test func theWalkIsBounded() throws {
        let scratch = try Self.tree()
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path), scope: CatalogScope(roots: nil, maxFiles: 10))
        #expect(inventory.problems.count == 1)
        #expect(inventory.problems.first?.contains("stopped after examining 10 files") == true, "\(inventory.problems)")
        // The OS database is read from its fixed place whatever the walk reached.
        #expect(inventory.packages.contains { $0.name == "zlib1g" })
    }
}

/// SBOM output checked by each format's own validator.
struct SBOMTests {
    static func hostLikeInventory() throws -> (ScratchDirectory, Inventory) {
        let scratch = try ScratchDirectory()
        for path in ["var/lib/dpkg/status", "etc/os-release"] {
            let target = scratch.url.appending(path: path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: URL(fileURLWithPath: "/" + path).resolvingSymlinksInPath(), to: target)
        }
        return (scratch, Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path)))
    }

    @Test func spdxPassesSPDXTools() throws {
        let (scratch, inventory) = try Self.hostLikeInventory()
        let file = scratch.path("inventory.spdx.json")
        try SPDX.encode(inventory, target: scratch.url.path).write(to: file)
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["pyspdxtools", "-i", file.path])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        #expect((document["packages"] as? [Any])?.count == inventory.packages.count + 2)
    }

    @Test func cycloneDXPassesStrictValidation() throws {
        var (scratch, inventory) = try Self.hostLikeInventory()
        // The same package found twice must still get unique bom-refs.
        if let first = inventory.packages.first { inventory.packages.append(Package(
            name: first.name, version: first.version, ecosystem: first.ecosystem, purl: first.purl, path: "/other/place", packageManager: .os)) }
        let bom = try CycloneDX.encode(inventory, target: scratch.url.path)
        let script = Repository.root.appending(path: "Tests/InventoryTests/Oracles/validate_cyclonedx.py")
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path], input: String(decoding: bom, as: UTF8.self))
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output == "valid\n")
        let document = try #require(try JSONSerialization.jsonObject(with: bom) as? [String: Any])
        let components = try #require(document["components"] as? [[String: Any]])
        #expect(components.count == inventory.packages.count + 1)
        #expect(components.first?["type"] as? String == "operating-system")
    }
}

/// SBOMs read back as inventories: Vigil's own documents round-trip every field matching needs, and
/// documents shaped as other tools write them are placed by purl.
struct SBOMReaderTests {
    static func essentials(_ inventory: Inventory) -> [String] {
        inventory.packages.map { "\($0.name) \($0.version) \($0.ecosystem) \($0.packageManager.rawValue) \($0.sourceName ?? "-") \($0.sourceVersion ?? "-") \($0.path)" }.sorted()
    }

    @Test func vigilDocumentsRoundTrip() throws {
        let (scratch, inventory) = try SBOMTests.hostLikeInventory()
        #expect(inventory.packages.count > 20)
        for data in [try CycloneDX.encode(inventory, target: scratch.url.path), try SPDX.encode(inventory, target: scratch.url.path)] {
            #expect(SBOMReader.looksLikeSBOM(data))
            let back = try SBOMReader.read(data, source: "bom.json")
            #expect(back.problems.isEmpty, "\(back.problems)")
            #expect(back.operatingSystem?.ecosystem == inventory.operatingSystem?.ecosystem)
            #expect(Self.essentials(back) == Self.essentials(inventory))
        }
    }

    /// Shaped as syft and Trivy write CycloneDX (components with purls carrying `distro` and
    /// `upstream` qualifiers, Trivy's SrcName/SrcVersion properties, nested components).
    @Test func foreignCycloneDX() throws {
        let bom = #"""
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
         "components": [
          {"type": "operating-system", "name": "debian", "version": "12.5"},
          {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2",
           "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5&upstream=openssl"},
          {"type": "library", "name": "bsdutils", "version": "1:2.38.1-5+b1",
           "purl": "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1?arch=amd64&distro=debian-12",
           "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "util-linux"},
                          {"name": "aquasecurity:trivy:SrcVersion", "value": "2.38.1-5"}]},
          {"type": "library", "name": "busybox", "version": "1.36.1-r15",
           "purl": "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=3.19.1&upstream=busybox"},
          {"type": "library", "name": "openssl-libs", "version": "3.0.7-24.el9",
           "purl": "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?arch=x86_64&distro=almalinux-9.3&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm"},
          {"type": "application", "name": "app", "components": [
            {"type": "library", "name": "guava", "purl": "pkg:maven/com.google.guava/guava@29.0-jre"},
            {"type": "library", "name": "core", "purl": "pkg:npm/%40angular/core@11.0.4"},
            {"type": "library", "name": "x/net", "purl": "pkg:golang/golang.org/x/net@v0.17.0"},
            {"type": "library", "name": "Jinja2", "purl": "pkg:pypi/jinja2@2.10"}]},
          {"type": "library", "name": "unplaced", "purl": "pkg:conan/zlib@1.2.13"},
          {"type": "library", "name": "nopurl", "version": "1.0"}
         ]}
        """#
        let inventory = try SBOMReader.read(Data(bom.utf8), source: "foreign.cdx.json")
        #expect(inventory.operatingSystem?.ecosystem == "Debian:12")
        #expect(Self.essentials(inventory) == [
            "@angular/core 11.0.4 npm NODEPKG - - foreign.cdx.json",
            "bsdutils 1:2.38.1-5+b1 Debian:12 OS util-linux 2.38.1-5 foreign.cdx.json",
            "busybox 1.36.1-r15 Alpine:v3.19 OS busybox 1.36.1-r15 foreign.cdx.json",
            "com.google.guava:guava 29.0-jre Maven JAR - - foreign.cdx.json",
            "golang.org/x/net 0.17.0 Go GOBINARY - - foreign.cdx.json",
            "jinja2 2.10 PyPI PYTHONPKG - - foreign.cdx.json",
            "libssl3 3.0.11-1~deb12u2 Debian:12 OS openssl 3.0.11-1~deb12u2 foreign.cdx.json",
            "openssl-libs 1:3.0.7-24.el9 AlmaLinux:9 OS openssl 1:3.0.7-24.el9 foreign.cdx.json",
        ])
        #expect(inventory.problems == [
            "foreign.cdx.json: pkg:conan/zlib@1.2.13: purl type 'conan' has no advisory ecosystem; not matched",
            "foreign.cdx.json: component 'nopurl' has no purl; not matched",
        ])
    }

    @Test(arguments: [("[1, 2]", "not a JSON object"), ("{\"bomFormat\": 3}", "neither a CycloneDX"), ("{\"components\": [", "not JSON")])
    func badDocumentsAreNamed(_ text: String, _ reason: String) {
        #expect {
            _ = try SBOMReader.read(Data(text.utf8), source: "bad.json")
        } throws: { error in
            "\(error)".hasPrefix("bad.json: ") && "\(error)".contains(reason)
        }
    }
}

struct NodeInventoryTests {
    /// Debian's node packages (node-semver and its dependencies, installed by .ci/run), against what
    /// node itself reads from their package.json files.
    @Test func debianNodePackages() throws {
        let scratch = try ScratchDirectory()
        let tree = scratch.url.appending(path: "usr/share/nodejs")
        try FileManager.default.createDirectory(at: tree.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "/usr/share/nodejs"), to: tree)
        let expected = try Subprocess.lines(["node", "-e", """
            const fs = require('fs'), path = require('path');
            function walk(dir) {
              for (const e of fs.readdirSync(dir, {withFileTypes: true})) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.isFile() && e.name === 'package.json') {
                  try { const j = JSON.parse(fs.readFileSync(p)); if (j.name && j.version) console.log(j.name + ' ' + j.version); } catch (err) {}
                }
              }
            }
            walk(process.argv[1]);
            """, tree.path])
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let got = inventory.packages.filter { $0.ecosystem == "npm" }.map { "\($0.name) \($0.version)" }
        #expect(!expected.isEmpty)
        #expect(Set(got) == Set(expected))
        #expect(got.contains { $0.hasPrefix("semver ") })
    }

    /// package-lock.json v1 (nested `dependencies`) and v3 (`packages` by install path), in the
    /// layouts npm documents for them.
    @Test func packageLockfiles() throws {
        let scratch = try ScratchDirectory()
        let v1 = scratch.url.appending(path: "app1")
        let v3 = scratch.url.appending(path: "app3")
        try FileManager.default.createDirectory(at: v1, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: v3, withIntermediateDirectories: true)
        try Data(#"{"name": "app1", "version": "1.0.0", "lockfileVersion": 1, "dependencies": {"lodash": {"version": "4.17.20"}, "axios": {"version": "0.21.0", "dependencies": {"follow-redirects": {"version": "1.13.0"}}}, "local": {"version": "file:../local"}}}"#.utf8)
            .write(to: v1.appending(path: "package-lock.json"))
        try Data(#"{"name": "app3", "version": "1.0.0", "lockfileVersion": 3, "packages": {"": {"name": "app3", "version": "1.0.0"}, "node_modules/@babel/core": {"version": "7.22.0"}, "node_modules/a/node_modules/lodash": {"version": "4.17.11"}, "node_modules/linked": {"resolved": "../x", "link": true}}}"#.utf8)
            .write(to: v3.appending(path: "package-lock.json"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let got = Set(inventory.packages.map { "\($0.path) \($0.purl)" })
        #expect(got == [
            "/app1/package-lock.json pkg:npm/lodash@4.17.20",
            "/app1/package-lock.json pkg:npm/axios@0.21.0",
            "/app1/package-lock.json pkg:npm/follow-redirects@1.13.0",
            "/app3/package-lock.json pkg:npm/%40babel/core@7.22.0",
            "/app3/package-lock.json pkg:npm/lodash@4.17.11",
        ])
        #expect(inventory.packages.allSatisfy { $0.packageManager == .npm })
    }
}

/// A real Go binary with full build info: Task, as PyPI's go-task-bin wheel ships it.
struct GoInventoryTests {
    @Test(.timeLimit(.minutes(3)))
    func goBinaryBuildInfo() throws {
        let scratch = try ScratchDirectory()
        let bin = scratch.url.appending(path: "usr/local/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        // The dependency lines, read independently of the build-info header format: a regex over the bytes.
        let expected = try Subprocess.lines(["python3", "-c", #"""
            import glob, re, subprocess, sys, tempfile, zipfile
            d = tempfile.mkdtemp()
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "go-task-bin==3.30.1", "-d", d], check=True)
            z = zipfile.ZipFile(glob.glob(d + "/*.whl")[0])
            data = z.read("go_task_bin-3.30.1.data/scripts/task")
            open(sys.argv[1], "wb").write(data)
            # The module information is in the binary twice (build info and runtime.modinfo).
            found = [m.group(1).decode() + " " + m.group(2).decode()
                     for m in re.finditer(rb"\n(?:mod|dep)\t([^\t\n]+)\t([^\t\n]+)", data)]
            print("\n".join(dict.fromkeys(found)))
            """#, bin.appending(path: "task").path])
        #expect(expected.count > 10)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        let modules = inventory.packages.filter { $0.name != "stdlib" }.map { "\($0.name) \($0.version)" }
        #expect(modules == expected)
        #expect(modules.first == "github.com/go-task/task/v3 (devel)")
        let stdlib = try #require(inventory.packages.first { $0.name == "stdlib" })
        #expect(stdlib.version == "1.21.1")
        #expect(inventory.packages.allSatisfy { $0.ecosystem == "Go" && $0.packageManager == .goBinary && $0.path == "/usr/local/bin/task" })
        #expect(inventory.packages.contains { $0.purl == "pkg:golang/github.com/Masterminds/semver/v3@v3.2.1" })
    }

    @Test(arguments: [("go1.21.1", "1.21.1"), ("go1.21", "1.21.0"), ("go1.21rc2", "1.21.0-rc.2"), ("go1.22beta1", "1.22.0-beta.1"), ("devel go1.23-abc", nil)] as [(String, String?)])
    func toolchainVersionsBecomeStdlibVersions(_ toolchain: String, _ expected: String?) {
        #expect(GoBinaryCataloger.stdlibVersion(toolchain) == expected)
    }
}

/// Rust: a real binary with cargo-auditable data (uv, from its PyPI wheel), checked against binutils'
/// objcopy extracting the section and Python's zlib and json reading it; and a Cargo.lock.
struct RustInventoryTests {
    @Test(.timeLimit(.minutes(3)))
    func cargoAuditableBinary() throws {
        let scratch = try ScratchDirectory()
        let bin = scratch.url.appending(path: "usr/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let expected = try Subprocess.lines(["python3", "-c", #"""
            import glob, json, subprocess, sys, tempfile, zipfile, zlib
            d = tempfile.mkdtemp()
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "uv==0.11.0", "-d", d], check=True)
            z = zipfile.ZipFile(glob.glob(d + "/*.whl")[0])
            open(sys.argv[1], "wb").write(z.read("uv-0.11.0.data/scripts/uv"))
            subprocess.run(["objcopy", "--dump-section", ".dep-v0=" + d + "/dep", sys.argv[1], d + "/stripped"], check=True)
            deps = json.loads(zlib.decompress(open(d + "/dep", "rb").read()))
            for p in deps["packages"]:
                if p.get("source") == "crates.io" and p.get("kind", "runtime") == "runtime":
                    print(p["name"], p["version"])
            """#, bin.appending(path: "uv").path])
        #expect(expected.count > 100)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        let got = inventory.packages.filter { $0.packageManager == .cargo }.map { "\($0.name) \($0.version)" }
        #expect(got == expected)
        #expect(inventory.packages.allSatisfy { $0.ecosystem == "crates.io" && $0.path == "/usr/bin/uv" })
    }

    /// Cargo.lock v3 as cargo writes it: registry packages only (the workspace member and the git
    /// dependency have no crates.io advisories).
    @Test func cargoLock() throws {
        let scratch = try ScratchDirectory()
        try Data("""
            # This file is automatically @generated by Cargo.
            # It is not intended for manual editing.
            version = 3

            [[package]]
            name = "app"
            version = "0.1.0"
            dependencies = [
             "smallvec",
            ]

            [[package]]
            name = "smallvec"
            version = "1.6.0"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e"

            [[package]]
            name = "forked"
            version = "0.2.0"
            source = "git+https://example.invalid/forked#abc"

            """.utf8).write(to: scratch.url.appending(path: "Cargo.lock"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.packages.map(\.purl) == ["pkg:cargo/smallvec@1.6.0"])
        #expect(inventory.packages.first?.path == "/Cargo.lock")
    }
}

/// Java: the real jars Debian's maven package ships, read independently with Python's zipfile.
struct JavaInventoryTests {
    @Test func mavenLibraryJars() throws {
        let scratch = try ScratchDirectory()
        let lib = scratch.url.appending(path: "usr/share/maven/lib")
        try FileManager.default.createDirectory(at: lib, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: "/usr/share/maven/lib") where name.hasSuffix(".jar") {
            let source = URL(fileURLWithPath: "/usr/share/maven/lib/\(name)").resolvingSymlinksInPath()
            try FileManager.default.copyItem(at: source, to: lib.appending(path: name))
        }
        let lines = try Subprocess.lines(["python3", "-c", #"""
            import glob, os, sys, zipfile
            for jar in sorted(glob.glob(sys.argv[1] + "/*.jar")):
                z = zipfile.ZipFile(jar)
                poms = [n for n in z.namelist() if n.startswith("META-INF/maven/") and n.endswith("/pom.properties")]
                for n in poms:
                    props = dict(l.split("=", 1) for l in z.read(n).decode().splitlines() if "=" in l and not l.startswith("#"))
                    print("pom", props["groupId"].strip() + ":" + props["artifactId"].strip(), props["version"].strip())
                if not poms and "META-INF/MANIFEST.MF" in z.namelist():
                    m = z.read("META-INF/MANIFEST.MF").decode(errors="replace")
                    if "Implementation-Version:" in m or "Bundle-Version:" in m:
                        print("manifest", os.path.basename(jar))
            """#, lib.path])
        let poms = Set(lines.filter { $0.hasPrefix("pom ") }.map { String($0.dropFirst(4)) })
        let manifestOnly = lines.filter { $0.hasPrefix("manifest ") }.count
        #expect(poms.count > 20)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        let got = inventory.packages.filter { $0.packageManager == .jar }
        #expect(poms.isSubset(of: Set(got.map { "\($0.name) \($0.version)" })))
        // One package per pom.properties, and one per jar that only has a manifest.
        #expect(got.count == poms.count + manifestOnly)
        #expect(got.allSatisfy { $0.ecosystem == "Maven" && $0.path.hasPrefix("/usr/share/maven/lib/") })
    }

    /// A war with a real jar inside it (as WEB-INF/lib ships them): found, with its nested location.
    @Test func nestedJarInAWar() throws {
        let scratch = try ScratchDirectory()
        let jar = URL(fileURLWithPath: "/usr/share/maven/lib/commons-cli.jar").resolvingSymlinksInPath()
        _ = try Subprocess.lines(["python3", "-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[2], "w") as z:
                z.write(sys.argv[1], "WEB-INF/lib/commons-cli.jar")
                z.writestr("index.html", "<html></html>")
            """, jar.path, scratch.path("app.war").path])
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let nested = try #require(inventory.packages.first)
        #expect(nested.name == "commons-cli:commons-cli")
        #expect(nested.path == "/app.war!/WEB-INF/lib/commons-cli.jar")
    }
}

/// Lockfiles and manifests in the layouts their tools document (small hand-written samples).
struct ManifestInventoryTests {
    struct Sample: Sendable, CustomTestStringConvertible {
        var path: String
        var contents: String
        var expected: [String]
        var testDescription: String { path }
    }

    @Test(arguments: [
        Sample(path: "app/composer.lock", contents: #"{"packages": [{"name": "symfony/http-kernel", "version": "v5.4.20"}], "packages-dev": [{"name": "phpunit/phpunit", "version": "9.6.3"}]}"#,
               expected: ["COMPOSER pkg:composer/symfony/http-kernel@v5.4.20", "COMPOSER pkg:composer/phpunit/phpunit@9.6.3"]),
        Sample(path: "app/vendor/composer/installed.json", contents: #"{"packages": [{"name": "guzzlehttp/guzzle", "version": "7.4.0"}], "dev": true}"#,
               expected: ["COMPOSER pkg:composer/guzzlehttp/guzzle@7.4.0"]),
        Sample(path: "app/MyApp.deps.json", contents: #"{"runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"}, "libraries": {"MyApp/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.1": {"type": "package", "sha512": "x"}}}"#,
               expected: ["DOTNET_CORE pkg:nuget/Newtonsoft.Json@12.0.1"]),
        Sample(path: "app/packages.lock.json", contents: #"{"version": 1, "dependencies": {"net6.0": {"System.Text.Json": {"type": "Direct", "requested": "[6.0.0, )", "resolved": "6.0.0"}, "Lib": {"type": "Project"}}}}"#,
               expected: ["NUGET pkg:nuget/System.Text.Json@6.0.0"]),
        Sample(path: "app/Gemfile.lock", contents: "GEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (6.1.4)\n      rack (~> 2.0)\n    nokogiri (1.13.1-x86_64-linux)\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n",
               expected: ["BUNDLER pkg:gem/actionpack@6.1.4", "BUNDLER pkg:gem/nokogiri@1.13.1", "BUNDLER pkg:gem/rack@2.2.3"]),
        Sample(path: "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec", contents: "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\nend\n",
               expected: ["GEMSPEC pkg:gem/rake@13.0.6"]),
        Sample(path: "src/go.mod", contents: "module example.com/app\n\ngo 1.21\n\nrequire golang.org/x/net v0.17.0\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n\tgolang.org/x/text v0.13.0 // indirect\n)\n",
               expected: ["GOMOD pkg:golang/golang.org/x/net@v0.17.0", "GOMOD pkg:golang/github.com/gin-gonic/gin@v1.9.1", "GOMOD pkg:golang/golang.org/x/text@v0.13.0"]),
        Sample(path: "app/requirements.txt", contents: "# pinned\nrequests==2.19.1 --hash=sha256:abc \\\n    --hash=sha256:def\nDjango[argon2]==2.2.1 ; python_version >= \"3.6\"\nflask>=1.0\n-r other.txt\nJinja2 == 2.10\n",
               expected: ["PIP pkg:pypi/requests@2.19.1", "PIP pkg:pypi/django@2.2.1", "PIP pkg:pypi/jinja2@2.10"]),
        Sample(path: "app/Pipfile.lock", contents: #"{"_meta": {"hash": {}}, "default": {"urllib3": {"hashes": [], "version": "==1.24.1"}, "mylib": {"path": "."}}, "develop": {"pytest": {"version": "==7.4.0"}}}"#,
               expected: ["PIPENV pkg:pypi/urllib3@1.24.1", "PIPENV pkg:pypi/pytest@7.4.0"]),
        Sample(path: "app/poetry.lock", contents: "[[package]]\nname = \"Pillow\"\nversion = \"9.0.0\"\ndescription = \"imaging\"\noptional = false\n\n[package.extras]\ntests = [\"pytest\"]\n\n[[package]]\nname = \"zipp\"\nversion = \"3.4.0\"\n\n[metadata]\nlock-version = \"2.0\"\n",
               expected: ["POETRY pkg:pypi/pillow@9.0.0", "POETRY pkg:pypi/zipp@3.4.0"]),
        Sample(path: "app/uv.lock", contents: "version = 1\n\n[[package]]\nname = \"app\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"idna\"\nversion = \"3.6\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
               expected: ["PIP pkg:pypi/idna@3.6"]),
        Sample(path: "web/yarn.lock", contents: "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n  version \"7.12.13\"\n  resolved \"https://registry.yarnpkg.com/x\"\n\nlodash@^4.17.15, lodash@^4.17.19:\n  version \"4.17.21\"\n",
               expected: ["YARN pkg:npm/%40babel/code-frame@7.12.13", "YARN pkg:npm/lodash@4.17.21"]),
        Sample(path: "berry/yarn.lock", contents: "__metadata:\n  version: 6\n\n\"axios@npm:^0.21.1\":\n  version: 0.21.1\n  resolution: \"axios@npm:0.21.1\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n",
               expected: ["YARN pkg:npm/axios@0.21.1"]),
        Sample(path: "p6/pnpm-lock.yaml", contents: "lockfileVersion: '6.0'\n\ndependencies:\n  lodash:\n    specifier: ^4.17.20\n    version: 4.17.20\n\npackages:\n\n  /lodash@4.17.20:\n    resolution: {integrity: sha512-x}\n    dev: false\n\n  /@types/node@20.8.0:\n    resolution: {integrity: sha512-y}\n\n  /react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: sha512-z}\n",
               expected: ["NPM pkg:npm/lodash@4.17.20", "NPM pkg:npm/%40types/node@20.8.0", "NPM pkg:npm/react-dom@18.2.0"]),
        Sample(path: "p5/pnpm-lock.yaml", contents: "lockfileVersion: 5.4\n\npackages:\n\n  /minimist/1.2.5:\n    resolution: {integrity: sha512-a}\n",
               expected: ["NPM pkg:npm/minimist@1.2.5"]),
    ])
    func manifests(_ sample: Sample) throws {
        let scratch = try ScratchDirectory()
        let url = scratch.url.appending(path: sample.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(sample.contents.utf8).write(to: url)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(Set(inventory.packages.map { "\($0.packageManager.rawValue) \($0.purl)" }) == Set(sample.expected))
        #expect(inventory.packages.allSatisfy { $0.path == "/" + sample.path })
    }

    @Test func brokenManifestsAreNamed() throws {
        let scratch = try ScratchDirectory()
        try Data("{ not json".utf8).write(to: scratch.path("composer.lock"))
        try FileManager.default.createDirectory(at: scratch.path("x/specifications"), withIntermediateDirectories: true)
        try Data("puts 'hello'\n".utf8).write(to: scratch.path("x/specifications/odd.gemspec"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.contains("/composer.lock: not valid JSON"))
        #expect(inventory.problems.contains("/x/specifications/odd.gemspec: no name and version found"))
    }
}

/// A function package as a zip: Python dependencies at the top level (as `pip install -t` lays them
/// out for Lambda), a Node layer, and a hostile entry path.
struct ZipInventoryTests {
    @Test(.timeLimit(.minutes(3)))
    func functionPackageZip() throws {
        let scratch = try ScratchDirectory()
        let build = scratch.path("build")
        _ = try Subprocess.lines(["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--disable-pip-version-check",
                                  "--only-binary=:all:", "--target", build.path, "urllib3==1.24.1"])
        let zip = scratch.path("function.zip")
        _ = try Subprocess.lines(["python3", "-c", #"""
            import os, sys, zipfile
            root, out = sys.argv[1], sys.argv[2]
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                for d, _, files in os.walk(root):
                    for f in files:
                        p = os.path.join(d, f)
                        z.write(p, os.path.relpath(p, root))
                z.write("/usr/share/nodejs/semver/package.json", "nodejs/node_modules/semver/package.json")
                z.writestr("../../escape/lambda_function.py", "def handler(e, c): pass\n")
            """#, build.path, zip.path])
        let fs = try ZipFileSystem(url: zip)
        let inventory = Cataloging.inventory(of: fs)
        let names = Set(inventory.packages.map { "\($0.ecosystem) \($0.name) \($0.version)" })
        #expect(names.contains("PyPI urllib3 1.24.1"))
        #expect(names.contains { $0.hasPrefix("npm semver ") })
        #expect(inventory.packages.first { $0.name == "urllib3" }?.path == "/urllib3-1.24.1.dist-info/METADATA")
        // The hostile entry is confined to the archive's root.
        #expect(try fs.read("/escape/lambda_function.py") != nil)
        #expect(!FileManager.default.fileExists(atPath: scratch.url.deletingLastPathComponent().appending(path: "escape").path))
    }

    @Test func aCorruptZipIsAnError() throws {
        let scratch = try ScratchDirectory()
        try Data("PK\u{03}\u{04}truncated".utf8).write(to: scratch.path("bad.zip"))
        #expect(throws: (any Error).self) { try ZipFileSystem(url: scratch.path("bad.zip")) }
    }
}

/// An rpmdb.sqlite written by Debian's rpm: packages built with rpmbuild (one with an epoch, a
/// subpackage whose source RPM has another name) and installed into a root with `--justdb`; the
/// expected fields are what `rpm -qa --qf` prints for the same database.
struct RpmInventoryTests {
    static let queryFormat = "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n"

    /// Builds the packages and installs them into `root` (AlmaLinux 9 os-release, rpmdb.sqlite).
    static func makeRoot(_ scratch: ScratchDirectory) throws -> URL {
        let root = scratch.path("root"), build = scratch.path("build")
        try FileManager.default.createDirectory(at: root.appending(path: "etc"), withIntermediateDirectories: true)
        try Data("ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n".utf8).write(to: root.appending(path: "etc/os-release"))
        try Data("""
            Name: demo-lib
            Epoch: 2
            Version: 1.4.2
            Release: 3.el9
            Summary: demo
            License: MIT
            BuildArch: noarch
            %description
            demo
            %package -n demo-tools
            Summary: tools
            %description -n demo-tools
            tools
            %files
            %files -n demo-tools

            """.utf8).write(to: scratch.path("demo.spec"))
        try Data("Name: plain\nVersion: 0.9\nRelease: 1\nSummary: p\nLicense: MIT\nBuildArch: noarch\n%description\np\n%files\n".utf8)
            .write(to: scratch.path("plain.spec"))
        for spec in ["demo.spec", "plain.spec"] {
            _ = try Subprocess.lines(["rpmbuild", "--quiet", "--define", "_topdir \(build.path)", "-bb", scratch.path(spec).path])
        }
        let rpms = try FileManager.default.contentsOfDirectory(atPath: build.appending(path: "RPMS/noarch").path).map { build.appending(path: "RPMS/noarch/\($0)").path }
        _ = try Subprocess.lines(["rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "--initdb"])
        _ = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--justdb", "--noscripts"] + rpms)
        return root
    }

    /// What Vigil found, in `queryFormat`'s shape (the source RPM rebuilt from the source fields).
    static func listing(_ inventory: Inventory) -> [String] {
        inventory.packages.map { p in
            let sourceVersion = p.sourceVersion.map { v in v.firstIndex(of: ":").map { String(v[v.index(after: $0)...]) } ?? v } ?? ""
            return "\(p.name) \(p.version) \(p.architecture ?? "") \(p.sourceName ?? "")-\(sourceVersion).src.rpm"
        }.sorted()
    }

    static func query(_ root: URL, backend: String? = nil) throws -> [String] {
        let define = backend.map { ["--define", "_db_backend \($0)"] } ?? []
        return try Subprocess.lines(["rpm", "--root", root.path, "--dbpath", "/var/lib/rpm"] + define + ["-qa", "--qf", queryFormat])
            .map { $0.replacingOccurrences(of: " (none):", with: " ") }.sorted()
    }

    @Test(.timeLimit(.minutes(2)))
    func rpmdbSqlite() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.makeRoot(scratch)
        let expected = try Self.query(root)
        #expect(expected.count == 3)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(Self.listing(inventory) == expected)
        let tools = try #require(inventory.packages.first { $0.name == "demo-tools" })
        #expect(tools.sourceName == "demo-lib")
        #expect(tools.sourceVersion == "2:1.4.2-3.el9")
        #expect(tools.ecosystem == "AlmaLinux:9")
        #expect(tools.purl == "pkg:rpm/almalinux/demo-tools@1.4.2-3.el9?arch=noarch&distro=almalinux-9.3&epoch=2&upstream=demo-lib-1.4.2-3.el9.src.rpm")
    }

    /// Berkeley DB hash `Packages` files written by Berkeley DB's own db5.3_load, read back by rpm's
    /// bdb_ro backend as the oracle: small pages force overflow chains, many records force many
    /// buckets and pages.
    @Test(.timeLimit(.minutes(2)), arguments: [(512, 40), (4096, 1), (4096, 60)])
    func berkeleyDBPackages(_ pageSize: Int, _ copies: Int) throws {
        let scratch = try ScratchDirectory()
        let root = try Self.makeRoot(scratch)
        let bdbRoot = scratch.path("bdb")
        try FileManager.default.createDirectory(at: bdbRoot.appending(path: "var/lib/rpm"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: root.appending(path: "etc"), to: bdbRoot.appending(path: "etc"))
        let script = Repository.root.appending(path: "Tests/InventoryTests/Oracles/rpmdb_convert.py").path
        _ = try Subprocess.lines(["python3", script, "bdb", root.appending(path: "var/lib/rpm/rpmdb.sqlite").path,
                                  bdbRoot.appending(path: "var/lib/rpm/Packages").path, "\(pageSize)", "\(copies)"])
        let expected = try Self.query(bdbRoot, backend: "bdb_ro")
        #expect(expected.count == 3 * copies)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: bdbRoot.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(Self.listing(inventory) == expected)
        #expect(inventory.packages.allSatisfy { $0.path == "/var/lib/rpm/Packages" && $0.ecosystem == "AlmaLinux:9" })
    }

    /// ndb `Packages.db`: no ndb writer is packaged here (Debian's rpm lacks the backend), so the
    /// file is laid out from rpm's source by the script; the headers inside are rpm's real ones.
    @Test(.timeLimit(.minutes(2)))
    func ndbPackages() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.makeRoot(scratch)
        let expected = try Self.query(root)
        let ndbRoot = scratch.path("ndb")
        try FileManager.default.createDirectory(at: ndbRoot.appending(path: "usr/lib/sysimage/rpm"), withIntermediateDirectories: true)
        let script = Repository.root.appending(path: "Tests/InventoryTests/Oracles/rpmdb_convert.py").path
        _ = try Subprocess.lines(["python3", script, "ndb", root.appending(path: "var/lib/rpm/rpmdb.sqlite").path,
                                  ndbRoot.appending(path: "usr/lib/sysimage/rpm/Packages.db").path])
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: ndbRoot.path))
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(Self.listing(inventory) == expected)
    }

    @Test(arguments: ["var/lib/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db"])
    func truncatedOldDatabasesAreNamed(_ path: String) throws {
        let scratch = try ScratchDirectory()
        let root = try Self.makeRoot(scratch)
        let script = Repository.root.appending(path: "Tests/InventoryTests/Oracles/rpmdb_convert.py").path
        let target = scratch.path("t").appending(path: path)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try Subprocess.lines(["python3", script, path.hasSuffix(".db") ? "ndb" : "bdb", root.appending(path: "var/lib/rpm/rpmdb.sqlite").path, target.path]
                                 + (path.hasSuffix(".db") ? [] : ["512", "3"]))
        let whole = try Data(contentsOf: target)
        try whole.prefix(whole.count * 2 / 3).write(to: target)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.path("t").path))
        #expect(inventory.problems.count == 1, "\(inventory.problems)")
        #expect(inventory.problems.first?.hasPrefix("/\(path): ") == true, "\(inventory.problems)")
        #expect(inventory.packages.isEmpty)
    }

    @Test func aCorruptRpmDatabaseIsNamed() throws {
        let scratch = try ScratchDirectory()
        let dir = scratch.url.appending(path: "var/lib/rpm")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("SQLite format 3\u{0}garbage".utf8).write(to: dir.appending(path: "rpmdb.sqlite"))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.problems.count == 1)
        #expect(inventory.problems.first?.hasPrefix("/var/lib/rpm/rpmdb.sqlite: unreadable rpm database") == true)
    }
}
