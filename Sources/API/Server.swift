import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Service
import Storage

/// `vigil serve`: the inspector2 and inspector-scan wire protocols over HTTP. Every request but
/// `/healthz` and `/metrics` is routed by botocore's request URI templates, authenticated with SigV4
/// against the principals in the store, authorised by the principal's built-in policy, then
/// answered by the operation, or by `NotImplemented` naming it.
public enum VigilServer {
    public static func run(host: String, port: Int, store: ServiceStore, service: ScanService, logger: Logger,
                           onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in Metrics.shared.text() }
        let operations = Operations(store: store, service: service)
        // The findings API reads every finding into memory once; begun now, not at the first query.
        Thread.detachNewThread {
            do { try operations.index.warm() } catch { logger.error("cannot read the findings for the findings API: \(error)") }
        }
        router.middlewares.add(InspectorMiddleware(operations: operations, store: store, logger: logger,
                                                   vigil: VigilRoutes(service: service)))
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "vigil"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
        // The scanning engine runs beside the server and stops with it (SIGTERM / SIGINT).
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            try await app.runService()
            group.cancelAll()
        }
    }
}

/// Request counters for `/metrics` (Prometheus text format).
final class Metrics: @unchecked Sendable {
    static let shared = Metrics()
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func count(operation: String, status: Int) {
        lock.withLock { counts["operation=\"\(operation)\",status=\"\(status)\"", default: 0] += 1 }
    }

    func text() -> String {
        lock.withLock {
            "# HELP vigil_requests_total API requests by operation and status.\n# TYPE vigil_requests_total counter\n"
                + counts.keys.sorted().map { "vigil_requests_total{\($0)} \(counts[$0]!)" }.joined(separator: "\n") + "\n"
        }
    }
}

struct InspectorMiddleware<Context: RequestContext>: RouterMiddleware {
    let operations: Operations
    let store: ServiceStore
    let logger: Logger
    let vigil: VigilRoutes

    /// The request's body (up to `limit` bytes) and headers, as SigV4 sees them.
    static func signedRequest(_ request: inout Request, raw: String, rawPath: String, limit: Int) async throws -> SigV4.Request {
        let body = try await request.collectBody(upTo: limit)
        var headers: [String: [String]] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased(), default: []].append(field.value) }
        if headers["host"] == nil, let authority = request.head.authority { headers["host"] = [authority] }
        return SigV4.Request(method: request.method.rawValue, rawPath: rawPath,
                             rawQuery: raw.contains("?") ? String(raw.drop { $0 != "?" }.dropFirst()) : "",
                             headers: headers, body: Data(body.readableBytesView))
    }

    /// The principal that signed the request, its signature verified for `service`.
    func authenticate(_ signedRequest: SigV4.Request, service: String) throws -> (ServiceStore.Principal, SigV4.Signed) {
        let signed = try SigV4.parse(signedRequest)
        let principal: ServiceStore.Principal
        do {
            guard let found = try store.principal(accessKeyID: signed.accessKeyID) else {
                throw AWSError(status: 403, type: "UnrecognizedClientException", message: "The security token included in the request is invalid.")
            }
            principal = found
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError.internal("credential store: \(error)")
        }
        try SigV4.verify(signedRequest, signed, secret: principal.secret, expectedService: service)
        return (principal, signed)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let raw = request.uri.string
        let rawPath = String(raw.prefix { $0 != "?" })
        if rawPath == "/healthz" || rawPath == "/metrics" { return try await next(request, context) }
        var request = request
        var operationName = "unknown"
        do {
            if rawPath.hasPrefix("/vigil/v1/") {
                operationName = "vigil"
                let signedRequest = try await Self.signedRequest(&request, raw: raw, rawPath: rawPath, limit: 100 << 20)
                let (status, json) = try vigil.handle(signedRequest, authenticate: { try authenticate($0, service: "vigil") })
                Metrics.shared.count(operation: "vigil", status: status)
                return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
            }
            guard let (spec, parameters) = OperationSpec.route(method: request.method.rawValue, path: rawPath) else {
                throw OperationSpec.exists(path: rawPath)
                    ? AWSError(status: 405, type: "MethodNotAllowedException", message: "\(request.method.rawValue) is not allowed on \(rawPath)")
                    : AWSError(status: 404, type: "UnknownOperationException", message: "No inspector2 operation at \(request.method.rawValue) \(rawPath)")
            }
            operationName = spec.name
            let signedRequest = try await Self.signedRequest(&request, raw: raw, rawPath: rawPath, limit: 8 << 20)
            let (principal, signed) = try authenticate(signedRequest, service: spec.service == "inspector-scan" ? "inspector-scan" : "inspector2")
            // The resource a request acts on: the ARN in its path (tags), else the account in this region.
            let resource = parameters["resourceArn"] ?? "arn:aws:inspector2:\(signed.region):\(principal.accountID):account"
            let action = "\(spec.service):\(spec.name)"
            guard let policy = Policy(principal.policy), policy.allows(action: action, resource: resource) else {
                throw AWSError.accessDenied("User: arn:aws:iam::\(principal.accountID):user/\(principal.accessKeyID) is not authorized to perform: \(action) on resource: \(resource)")
            }
            var query: [String: [String]] = [:]
            for pair in signedRequest.rawQuery.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[SigV4.decode(String(parts[0])), default: []].append(parts.count > 1 ? SigV4.decode(String(parts[1])) : "")
            }
            let call = Operations.Call(spec: spec, parameters: parameters, body: signedRequest.body, principal: principal, region: signed.region, query: query)
            let (status, json) = try operations.perform(call)
            Metrics.shared.count(operation: spec.name, status: status)
            return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as AWSError {
            Metrics.shared.count(operation: operationName, status: error.status)
            logger.info("request refused", metadata: ["operation": "\(operationName)", "status": "\(error.status)", "type": "\(error.type)"])
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("x-amzn-ErrorType")!] = error.type
            return Response(status: .init(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: error.body)))
        }
    }
}

