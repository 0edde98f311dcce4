import AdvisoryStore
import Findings
import Foundation
import Inventory
import Matching
import Testing
import TestSupport
import VigilCore

/// An advisory database of the real records in ../shared/data (Debian, AlmaLinux, Alpine, PyPI,
/// Go, crates.io, npm, Maven), KEV and EPSS, imported once per test process.
actor AdvisoryFixture {
    static let shared = AdvisoryFixture()
    /// One import, however many tests ask at once.
    private var building: Task<URL, Error>?

    func database() async throws -> AdvisoryDatabase {
        if building == nil {
            building = Task {
                let dir = ScratchDirectory.forProcess("vigil-matching-db")
                let importer = try AdvisoryImporter(dataDirectory: dir)
                let data = Repository.sharedData
                for ecosystem in ["Debian", "AlmaLinux", "Alpine", "PyPI", "Go", "crates.io", "npm", "Maven"] {
                    try await importer.importInput(data.appending(path: "osv/\(ecosystem)/all.zip").path)
                }
                try await importer.importInput(data.appending(path: "kev/known_exploited_vulnerabilities.json").path)
                try await importer.importInput(data.appending(path: "epss/epss_scores-sample.csv").path)
                _ = try importer.finish()
                return dir
            }
        }
        return try AdvisoryDatabase(dataDirectory: try await building!.value)
    }
}

/// Matches on real targets compared with an independent matcher (Oracles/osv_match.py) that walks
/// the same OSV records with the real tools' version comparison (dpkg, rpm, Python packaging).
struct MatchingTests {
    static let oracle = Repository.root.appending(path: "Tests/MatchingTests/Oracles/osv_match.py").path

    /// `ID FIXED` lines the oracle prints for one package.
    static func expected(_ ecosystemDirectory: String, _ ecosystem: String, _ name: String, _ version: String, _ scheme: String) throws -> Set<String> {
        Set(try expected(ecosystemDirectory, ecosystem, [(name, version)], scheme).map { $0.split(separator: " ", maxSplits: 2)[2].description })
    }

    /// `NAME VERSION ID FIXED` lines for many packages at once.
    static func expected(_ ecosystemDirectory: String, _ ecosystem: String, _ packages: [(String, String)], _ scheme: String) throws -> [String] {
        let zip = Repository.sharedData.appending(path: "osv/\(ecosystemDirectory)/all.zip").path
        return try Subprocess.lines(["python3", oracle, zip, ecosystem, scheme], input: packages.map { "\($0.0) \($0.1)\n" }.joined())
    }

    static func got(_ matches: [Match], for package: Package) -> Set<String> {
        Set(matches.filter { $0.package == package }.map { "\($0.advisoryID) \($0.fixedVersion ?? "NONE")" })
    }

    static func write(_ root: URL, _ path: String, _ text: String) throws {
        try ScratchDirectory.write(text, to: path, in: root)
    }

    /// Real bullseye package versions (from Debian's archive history): libssl1.1 and libcurl4
    /// before their DSA fixes, zlib1g with an epoch, openssl at a fixed version, a removed libc6.
    static let bullseyeStatus = """
        Package: libssl1.1
        Status: install ok installed
        Architecture: amd64
        Source: openssl
        Version: 1.1.1n-0+deb11u1

        Package: openssl
        Status: install ok installed
        Architecture: amd64
        Version: 1.1.1w-0+deb11u1

        Package: zlib1g
        Status: install ok installed
        Architecture: amd64
        Source: zlib
        Version: 1:1.2.11.dfsg-2+deb11u1

        Package: libcurl4
        Status: install ok installed
        Architecture: amd64
        Source: curl
        Version: 7.74.0-1.3+deb11u1

        Package: libc6
        Status: deinstall ok config-files
        Architecture: amd64
        Source: glibc
        Version: 2.31-13

        """

    @Test(.timeLimit(.minutes(5)), arguments: ["11", "10"])
    func debianRootAgainstDebianAdvisories(_ release: String) async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        try Self.write(scratch.url, "etc/os-release", "ID=debian\nVERSION_ID=\"\(release)\"\n")
        try Self.write(scratch.url, "var/lib/dpkg/status", Self.bullseyeStatus)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.packages.count == 4)
        let (matches, problems) = try Matcher(database: database).matches(inventory.packages)
        #expect(problems.isEmpty, "\(problems)")
        // The in-memory index a server keeps gives the same matches as asking the store.
        #expect(try Matcher(database: database, index: AffectedIndex()).matches(inventory.packages).matches == matches)
        var total = 0
        for package in inventory.packages {
            let expected = try Self.expected("Debian", "Debian:\(release)", package.sourceName ?? package.name, package.version, "dpkg")
            #expect(Self.got(matches, for: package) == expected, "\(package.name) \(package.version)")
            total += expected.count
        }
        // Debian 10's advisories never reach a Debian 11 root; the bullseye versions are above every
        // buster fix, so a Debian 10 root with them has no findings at all.
        #expect(Set(matches.map(\.ecosystem)) == (release == "11" ? ["Debian:11"] : []))
        #expect(release == "11" ? total > 0 : total == 0)
        if release == "11" {
            #expect(Set(matches.filter { $0.package.name == "libssl1.1" }.map(\.advisoryID)) == ["DSA-5139-1", "DSA-5169-1", "DSA-5343-1"])
            #expect(!matches.contains { $0.package.name == "openssl" })  // 1.1.1w is past every fix
        }
    }

    /// One finding per CVE: DSA-5343-1 names four CVEs, each a finding listing libssl1.1 with the
    /// fixed version, the DSA among the related ids; Debian's records carry no rating: UNTRIAGED.
    @Test(.timeLimit(.minutes(5)))
    func findingsFollowInspectorsModel() async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        try Self.write(scratch.url, "etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n")
        try Self.write(scratch.url, "var/lib/dpkg/status", Self.bullseyeStatus)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let (matches, _) = try Matcher(database: database).matches(inventory.packages)
        let findings = try FindingBuilder(database: database).findings(for: matches, context: .init(resource: Resource(type: "AWS_EC2_INSTANCE", id: "host")))
        let dsa = try #require(try database.advisories(id: "DSA-5343-1").first)
        let cves = FindingBuilder.vulnerabilityIDs(dsa.record, distribution: true)
        #expect(cves.count >= 4)
        for cve in cves {
            let finding = try #require(findings.first { $0.packageVulnerabilityDetails?.vulnerabilityId == cve })
            #expect(finding.title == "\(cve) - libssl1.1")
            #expect(finding.severity == "UNTRIAGED")
            #expect(finding.fixAvailable == "YES")
            #expect(finding.packageVulnerabilityDetails?.relatedVulnerabilities?.contains("DSA-5343-1") == true)
            let package = try #require(finding.packageVulnerabilityDetails?.vulnerablePackages?.first)
            #expect(package.version == "1.1.1n" && package.release == "0+deb11u1" && package.epoch == 0)
            #expect(package.fixedInVersion == "1.1.1n-0+deb11u4")
            #expect(package.packageManager == "OS")
            #expect(package.filePath == "/var/lib/dpkg/status")
        }
        // Every finding id is a CVE (every DSA here names CVEs), unique per resource.
        let ids = findings.compactMap { $0.packageVulnerabilityDetails?.vulnerabilityId }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.hasPrefix("CVE-") })
    }

    /// An AlmaLinux 9 rpmdb written by Debian's rpm from packages built with rpmbuild under real
    /// AlmaLinux names and versions (openssl-libs 1:3.0.7-24.el9, as shipped in 9.3).
    @Test(.timeLimit(.minutes(5)))
    func almaLinuxRpmdbAgainstALSA() async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        let root = scratch.path("root"), build = scratch.path("build")
        try Self.write(root, "etc/os-release", "ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n")
        try Self.write(scratch.url, "o.spec", """
            Name: openssl
            Epoch: 1
            Version: 3.0.7
            Release: 24.el9
            Summary: s
            License: ASL 2.0
            BuildArch: noarch
            %description
            d
            %package -n openssl-libs
            Summary: l
            %description -n openssl-libs
            l
            %files
            %files -n openssl-libs

            """)
        _ = try Subprocess.lines(["rpmbuild", "--quiet", "--define", "_topdir \(build.path)", "-bb", scratch.path("o.spec").path])
        let rpms = try FileManager.default.contentsOfDirectory(atPath: build.appending(path: "RPMS/noarch").path).map { build.appending(path: "RPMS/noarch/\($0)").path }
        _ = try Subprocess.lines(["rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "--initdb"])
        _ = try Subprocess.lines(["rpm", "--root", root.path, "--dbpath", "/var/lib/rpm", "-i", "--nodeps", "--justdb", "--noscripts"] + rpms)
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root.path))
        #expect(inventory.packages.count == 2)
        let (matches, problems) = try Matcher(database: database).matches(inventory.packages)
        #expect(problems.isEmpty, "\(problems)")
        for package in inventory.packages {
            let expected = try Self.expected("AlmaLinux", "AlmaLinux:9", package.name, package.version, "rpm")
            #expect(!expected.isEmpty)
            #expect(Self.got(matches, for: package) == expected, "\(package.name) \(package.version)")
        }
    }

    /// Alpine v3.11 with libcrypto1.1 from origin openssl at 1.1.1d-r2: of the secdb records for
    /// openssl in v3.11 only ALPINE-CVE-2019-1551 (fixed in 1.1.1d-r3) is newer than it; the
    /// others were fixed in 1.1.1a-r0, 1.1.1b-r1 and 1.1.1d-r1 (read from the records). The same
    /// database in an Alpine v3.9 root matches nothing from v3.11.
    @Test(.timeLimit(.minutes(5)))
    func alpineInstalledAgainstSecdb() async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        try Self.write(scratch.url, "etc/alpine-release", "3.11.6\n")
        try Self.write(scratch.url, "lib/apk/db/installed", "P:libcrypto1.1\nV:1.1.1d-r2\nA:x86_64\no:openssl\n\nP:musl\nV:1.1.24-r2\nA:x86_64\no:musl\n\n")
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        let (matches, _) = try Matcher(database: database).matches(inventory.packages)
        #expect(Set(matches.filter { $0.package.name == "libcrypto1.1" }.map(\.advisoryID)) == ["ALPINE-CVE-2019-1551"])
        #expect(matches.first { $0.advisoryID == "ALPINE-CVE-2019-1551" }?.fixedVersion == "1.1.1d-r3")
    }

    /// Old wheels from PyPI, installed the way pip installs them, against PYSEC records; aiohttp
    /// 3.8.0 (hand-written metadata) must not match PYSEC-2022-43059, which was withdrawn.
    @Test(.timeLimit(.minutes(5)))
    func installedWheelsAgainstPYSEC() async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        let site = scratch.url.appending(path: "usr/lib/python3/dist-packages")
        _ = try Subprocess.lines(["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--disable-pip-version-check",
                                  "--only-binary=:all:", "--target", site.path, "requests==2.19.1", "urllib3==1.24.1", "Jinja2==2.10"])
        try Self.write(site, "aiohttp-3.8.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.8.0\n")
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: scratch.url.path))
        #expect(inventory.packages.count == 4)
        let (matches, problems) = try Matcher(database: database).matches(inventory.packages)
        #expect(problems.isEmpty, "\(problems)")
        for package in inventory.packages {
            let expected = try Self.expected("PyPI", "PyPI", package.name, package.version, "pep440")
            #expect(Self.got(matches, for: package) == expected, "\(package.name) \(package.version)")
        }
        #expect(!matches.contains { $0.advisoryID == "PYSEC-2022-43059" })
        #expect(matches.contains { $0.package.name == "aiohttp" })
    }

    /// Binaries from PyPI wheels: go-task 3.30.1 (Go build info: modules and the toolchain as
    /// `stdlib`) and uv 0.11.0 (cargo-auditable crates), against Go's and RustSec's records.
    @Test(.timeLimit(.minutes(5)), arguments: [("go-task-bin==3.30.1", "Go"), ("uv==0.11.0", "crates.io")])
    func binariesAgainstGoAndRustAdvisories(_ wheel: String, _ ecosystem: String) async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        _ = try Subprocess.lines(["python3", "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
                                  "--dest", scratch.path("wheels").path, wheel])
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.path("wheels").path).first)
        let inventory = Cataloging.inventory(of: try ZipFileSystem(url: scratch.path("wheels/\(file)")))
        let packages = inventory.packages.filter { $0.ecosystem == ecosystem }
        #expect(packages.count > 5)
        let (matches, problems) = try Matcher(database: database).matches(packages)
        #expect(problems.isEmpty, "\(problems)")
        let lines = try Self.expected(ecosystem, ecosystem, packages.map { ($0.name, $0.version) }, "semver")
        let expected = Set(lines)
        let got = Set(matches.map { "\($0.package.name) \($0.package.version) \($0.advisoryID) \($0.fixedVersion ?? "NONE")" })
        #expect(got == expected)
        #expect(try Matcher(database: database, index: AffectedIndex()).matches(packages).matches == matches)
        if ecosystem == "Go" { #expect(matches.contains { $0.package.name == "stdlib" }) }
    }

    /// Debian's own packages of npm modules and Java libraries (apt-get download, dpkg-deb -x):
    /// axios 1.2.1 and snakeyaml 1.33 are inside GitHub advisories' ranges, lodash 4.17.21 and
    /// log4j 2.19.0 are past every fix; checked with node-semver and Maven's ComparableVersion.
    @Test(.timeLimit(.minutes(5)))
    func debianNodeAndJavaPackages() async throws {
        let database = try await AdvisoryFixture.shared.database()
        let scratch = try ScratchDirectory()
        let debs = scratch.path("debs"), root = scratch.path("root")
        try FileManager.default.createDirectory(at: debs, withIntermediateDirectories: true)
        _ = try Subprocess.lines(["sh", "-c", "cd \"$0\" && apt-get download -q node-axios node-lodash libyaml-snake-java liblog4j2-java >/dev/null", debs.path])
        for deb in try FileManager.default.contentsOfDirectory(atPath: debs.path) where deb.hasSuffix(".deb") {
            _ = try Subprocess.lines(["dpkg-deb", "-x", debs.appending(path: deb).path, root.path])
        }
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root.path))
        let (matches, problems) = try Matcher(database: database).matches(inventory.packages)
        #expect(problems.isEmpty, "\(problems)")
        for (ecosystem, scheme, names) in [("npm", "npm", ["axios", "lodash"]), ("Maven", "maven", ["org.yaml:snakeyaml", "org.apache.logging.log4j:log4j-core"])] {
            let packages = inventory.packages.filter { $0.ecosystem == ecosystem && names.contains($0.name) }
            #expect(Set(packages.map(\.name)) == Set(names), "\(ecosystem)")
            let expected = Set(try Self.expected(ecosystem, ecosystem, packages.map { ($0.name, $0.version) }, scheme))
            let got = Set(matches.filter { $0.package.ecosystem == ecosystem && names.contains($0.package.name) }
                .map { "\($0.package.name) \($0.package.version) \($0.advisoryID) \($0.fixedVersion ?? "NONE")" })
            #expect(got == expected, "\(ecosystem)")
        }
        #expect(matches.contains { $0.advisoryID == "GHSA-mjmj-j48q-9wg2" })  // snakeyaml < 2.0
        #expect(matches.contains { $0.package.name == "axios" })
        #expect(!matches.contains { $0.package.name == "lodash" || $0.package.name.hasSuffix("log4j-core") })
    }
}
