import Archives
import ArgumentParser
import Foundation
import Inventory

/// Options for reading container images (shared by `sbom` and `scan`).
struct ImageOptions: ParsableArguments {
    @Option(help: "For image indexes: the platform to read, as os/arch[/variant] (default: this machine's).")
    var platform: String?
    @Flag(help: "Registry over plain HTTP, or HTTPS without certificate checks (a local registry).")
    var insecure = false
    @Option(name: .customLong("ca-cert"), help: "PEM file of certificate authorities to trust for the registry.")
    var caCert: String?
    @Option(help: "Registry user name (the password comes from VIGIL_REGISTRY_PASSWORD or --password-stdin).")
    var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the registry password from standard input.")
    var passwordStdin = false
    @Option(name: .customLong("max-layer-size"), help: "Largest uncompressed layer, in bytes.")
    var maxLayerSize: Int64 = 16 << 30
    @Option(name: .customLong("max-ratio"), help: "Largest decompression ratio of a layer.")
    var maxRatio: Int64 = 200
    @Flag(name: .customLong("no-cache"), help: "Do not keep per-layer results in the data directory.")
    var noCache = false
    @Option(name: .customLong("registry-timeout"), help: "Seconds a registry may stay silent before the read is abandoned.")
    var registryTimeout: Int64 = 60

    func registryOptions() throws -> RegistryOptions {
        var options = RegistryOptions()
        options.insecure = insecure
        options.caCertificate = caCert
        options.username = username
        options.readTimeoutSeconds = registryTimeout
        if username != nil {
            if passwordStdin {
                options.password = readLine(strippingNewline: true)
            } else {
                options.password = ProcessInfo.processInfo.environment["VIGIL_REGISTRY_PASSWORD"]
            }
            guard options.password != nil else { throw ValidationError("--username needs a password: VIGIL_REGISTRY_PASSWORD or --password-stdin") }
        }
        return options
    }

    var limits: LayerLimits { LayerLimits(maxUncompressedSize: maxLayerSize, maxRatio: maxRatio) }

    func resolvedPlatform() throws -> Platform {
        guard let platform else { return .host }
        guard let parsed = Platform(parsing: platform) else { throw ValidationError("--platform '\(platform)' is not os/arch[/variant]") }
        return parsed
    }
}

/// A target's inventory, and the image it came from when it is an image.
struct TargetInventory {
    var inventory: Inventory
    var image: ImageMetadata?
}

/// What `vigil sbom` and `vigil scan` accept, and how each becomes an inventory.
enum Targets {
    /// Image references (`oci:`, `oci-archive:`, `docker-archive:`, `registry:`) are read as images;
    /// a directory is a root filesystem (or an OCI layout, when it holds `oci-layout`); a file is a
    /// CycloneDX or SPDX JSON SBOM when it says so, a tar is an image archive, else a zip (function
    /// package or layer); anything else that looks like `host/repo:tag` is a registry reference.
    /// Errors name the target.
    static func inventory(of target: String, scope: CatalogScope = .wholeTree, images: ImageOptions? = nil, dataDirectory: URL? = nil,
                          progress: ProgressReporter? = nil) async throws -> TargetInventory {
        if let reference = try ImageReference(transport: target) {
            return try await image(reference, images: images, dataDirectory: dataDirectory, progress: progress)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                if FileManager.default.fileExists(atPath: target + "/oci-layout") {
                    return try await image(.ociLayout(path: target, reference: nil), images: images, dataDirectory: dataDirectory, progress: progress)
                }
                return TargetInventory(inventory: Cataloging.inventory(of: try DirectoryFileSystem(root: target), scope: scope))
            }
            let url = URL(fileURLWithPath: target)
            let head = try FileHandle(forReadingFrom: url).readPrefix(4096)
            if head.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }).first == UInt8(ascii: "{") {
                let data = try Data(contentsOf: url)
                if SBOMReader.looksLikeSBOM(data) { return TargetInventory(inventory: try SBOMReader.read(data, source: target)) }
                throw InventoryError.malformed(path: target, reason: "a JSON document that is neither CycloneDX nor SPDX")
            }
            if head.count >= 262, head[257..<262].elementsEqual("ustar".utf8) {
                // A tarball: an OCI layout (oci-archive) or a docker save.
                let index = try TarIndex(path: target)
                let reference: ImageReference = index.members["oci-layout"] != nil ? .ociArchive(path: target, reference: nil) : .dockerArchive(path: target, reference: nil)
                return try await image(reference, images: images, dataDirectory: dataDirectory, progress: progress)
            }
            return TargetInventory(inventory: Cataloging.inventory(of: try ZipFileSystem(url: url), scope: scope))
        }
        if target.contains("/"), !target.hasPrefix("/"), !target.hasPrefix("."), let reference = try? RegistryReference(parsing: target) {
            return try await image(.registry(reference), images: images, dataDirectory: dataDirectory, progress: progress)
        }
        throw InventoryError.notFound(target)
    }

    static func image(_ reference: ImageReference, images: ImageOptions?, dataDirectory: URL?, progress: ProgressReporter? = nil) async throws -> TargetInventory {
        let options = try images ?? ImageOptions.parse([])
        var registry: RegistryClient?
        if case .registry = reference { registry = try RegistryClient(options: try options.registryOptions()) }
        do {
            let resolved = try await reference.resolve(platform: try options.resolvedPlatform(), registry: registry)
            let cache = options.noCache ? nil : dataDirectory.map { LayerCache(directory: $0.appending(path: "layers")) }
            var report: (@Sendable (String) -> Void)?
            if let progress {
                let name = reference.description
                report = { @Sendable message in progress.update("\(name): \(message)") }
            }
            let scanned = try await ImageScanner.scan(resolved, options: .init(cache: cache, scratch: FileManager.default.temporaryDirectory,
                                                                               limits: options.limits, progress: report))
            await registry?.shutdown()
            return TargetInventory(inventory: scanned.inventory, image: scanned.image)
        } catch {
            await registry?.shutdown()
            throw error
        }
    }
}

extension FileHandle {
    func readPrefix(_ count: Int) throws -> Data {
        defer { try? close() }
        return try read(upToCount: count) ?? Data()
    }
}
