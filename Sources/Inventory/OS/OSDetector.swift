import Foundation

/// Finds the distribution from `/etc/os-release` (or `/usr/lib/os-release`), then the older release
/// files, then a distroless dpkg `status.d/`.
public enum OSDetector {
    public static func detect(_ fs: FileSystem) -> OperatingSystem? {
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            if let text = try? fs.text(path), let os = fromOSRelease(parseOSRelease(text), debianVersion: { (try? fs.text("/etc/debian_version"))?.trimmed }) { return os }
        }
        if let version = try? fs.text("/etc/alpine-release") {
            return alpine(version.trimmed)
        }
        if let version = try? fs.text("/etc/debian_version") {
            return debian(version: nil, debianVersion: version.trimmed, codename: nil)
        }
        for path in ["/etc/redhat-release", "/etc/system-release"] {
            if let line = try? fs.text(path) { return fromReleaseLine(line.trimmed) }
        }
        if !fs.list("/var/lib/dpkg/status.d").isEmpty {
            return OperatingSystem(id: "debian", name: "Debian (distroless)", version: nil, codename: nil, ecosystem: "Debian",
                                   note: "distroless image without os-release: Debian release unknown, matching all Debian releases")
        }
        return nil
    }

    /// The distribution named by an os-release `ID` and `VERSION_ID` alone (as SBOMs record it).
    public static func operatingSystem(id: String, version: String?, name: String? = nil) -> OperatingSystem? {
        var fields = ["ID": id]
        fields["VERSION_ID"] = version
        fields["NAME"] = name
        // Ubuntu's LTS releases are the even years' April releases; os-release says so in VERSION.
        if id == "ubuntu", let version, version.hasSuffix(".04"), let year = Int(version.prefix(2)), year % 2 == 0 {
            fields["VERSION"] = "\(version) LTS"
        }
        return fromOSRelease(fields)
    }

    /// `KEY=value` lines, values optionally in single or double quotes.
    static func parseOSRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            var value = String(trimmed[trimmed.index(after: eq)...])
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            fields[String(trimmed[..<eq])] = value
        }
        return fields
    }

    static func fromOSRelease(_ f: [String: String], debianVersion: () -> String? = { nil }) -> OperatingSystem? {
        guard let id = f["ID"]?.lowercased(), !id.isEmpty else { return nil }
        let version = f["VERSION_ID"]
        let name = f["PRETTY_NAME"] ?? f["NAME"] ?? id
        let codename = f["VERSION_CODENAME"]
        func os(_ ecosystem: String?, note: String? = nil) -> OperatingSystem {
            OperatingSystem(id: id, name: name, version: version, codename: codename, ecosystem: ecosystem, note: note)
        }
        let major = version?.split(separator: ".").first.map(String.init)
        switch id {
        case "debian":
            return debian(version: version, debianVersion: debianVersion(), codename: codename, name: name)
        case "ubuntu":
            guard let version else { return os(nil, note: "Ubuntu without VERSION_ID") }
            let lts = (f["VERSION"] ?? "").contains("LTS")
            return os("Ubuntu:\(version)\(lts ? ":LTS" : "")")
        case "alpine":
            return alpine(version ?? "", name: name)
        case "almalinux": return os(major.map { "AlmaLinux:\($0)" }, note: major == nil ? "no VERSION_ID" : nil)
        case "rocky": return os(major.map { "Rocky Linux:\($0)" }, note: major == nil ? "no VERSION_ID" : nil)
        case "rhel", "centos": return os("Red Hat")
        case "sles", "sled", "sle-micro": return os("SUSE")
        case "opensuse-leap", "opensuse-tumbleweed", "opensuse": return os("openSUSE")
        case "wolfi": return os("Wolfi")
        case "chainguard": return os("Chainguard")
        case "mageia": return os(major.map { "Mageia:\($0)" })
        case "openeuler": return os(version.map { "openEuler:\($0)" })
        case "amzn": return os(nil, note: "Amazon Linux: no OSV advisory source yet")
        default: return os(nil, note: "unknown distribution '\(id)'")
        }
    }

    static func debian(version: String?, debianVersion: String?, codename: String?, name: String = "Debian GNU/Linux") -> OperatingSystem {
        // VERSION_ID is absent on testing and unstable; /etc/debian_version then reads e.g. "trixie/sid".
        let major = version?.split(separator: ".").first.map(String.init)
            ?? debianVersion?.split(separator: ".").first.map(String.init).flatMap { Int($0) != nil ? $0 : nil }
        guard let major else {
            return OperatingSystem(id: "debian", name: name, version: debianVersion, codename: codename, ecosystem: nil,
                                   note: "Debian testing/unstable ('\(debianVersion ?? "?")'): no release to match advisories against")
        }
        return OperatingSystem(id: "debian", name: name, version: version ?? debianVersion, codename: codename, ecosystem: "Debian:\(major)", note: nil)
    }

    static func alpine(_ version: String, name: String = "Alpine Linux") -> OperatingSystem {
        let parts = version.split(separator: ".")
        guard parts.count >= 2, Int(parts[0]) != nil, Int(parts[1]) != nil else {
            return OperatingSystem(id: "alpine", name: name, version: version, codename: nil, ecosystem: nil,
                                   note: "Alpine edge or unknown release '\(version)'")
        }
        return OperatingSystem(id: "alpine", name: name, version: version, codename: nil, ecosystem: "Alpine:v\(parts[0]).\(parts[1])", note: nil)
    }

    /// `/etc/redhat-release`-style lines: "AlmaLinux release 9.3 (Shamrock Pampas Cat)".
    static func fromReleaseLine(_ line: String) -> OperatingSystem {
        let words = line.split(separator: " ")
        let versionWord = words.first { $0.first?.isNumber == true }.map(String.init)
        let major = versionWord?.split(separator: ".").first.map(String.init)
        let lower = line.lowercased()
        let (id, ecosystem): (String, String?) =
            lower.hasPrefix("almalinux") ? ("almalinux", major.map { "AlmaLinux:\($0)" })
            : lower.hasPrefix("rocky") ? ("rocky", major.map { "Rocky Linux:\($0)" })
            : lower.hasPrefix("red hat") || lower.hasPrefix("centos") ? ("rhel", "Red Hat")
            : ("unknown", nil)
        return OperatingSystem(id: id, name: line, version: versionWord, codename: nil, ecosystem: ecosystem,
                               note: ecosystem == nil ? "unknown distribution '\(line)'" : nil)
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
