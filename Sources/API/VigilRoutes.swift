import Foundation
import Service
import Storage

/// Vigil's own API under `/vigil/v1/`, SigV4-signed for the service name `vigil` (except enrolment,
/// which an activation code authorises), authorised with `vigil:` actions:
/// - `POST /vigil/v1/functions`: publish a function version (`vigil:PublishFunction`).
/// - `POST /vigil/v1/activations`: create a host activation (`vigil:CreateActivation`).
/// - `POST /vigil/v1/agents/enroll`: enrol a host with an activation id and code.
/// - `POST /vigil/v1/agents/{instanceId}/inventory`: a host's report (`vigil:ReportInventory` on
///   `arn:aws:ec2:REGION:ACCOUNT:instance/ID`).
/// - `POST /vigil/v1/agents/{instanceId}/heartbeat`: a host's agent is alive (`vigil:SendHeartbeat`).
/// - `POST /vigil/v1/hosts`: register a root filesystem on the server's machine to scan on a
///   schedule as an agentless host (`vigil:RegisterHost`).
/// - `POST /vigil/v1/registries`: add a registry (`vigil:AddRegistry`).
/// - `POST /vigil/v1/registries/{name}/events`: the registry's push notifications (`Authorization:
///   Bearer TOKEN`).
/// - `POST /vigil/v1/advisories/update`: start an advisory update now, from the server's configured
///   feeds (`vigil:UpdateAdvisories`); progress in `vigil db status`.
/// - `GET /vigil/v1/jobs`: job counts by state (`vigil:GetJobs`).
struct VigilRoutes: Sendable {
    let service: ScanService

    typealias Authenticate = (SigV4.Request) throws -> (ServiceStore.Principal, SigV4.Signed)

    func handle(_ request: SigV4.Request, authenticate: Authenticate) throws -> (Int, Data) {
        let parts = request.rawPath.split(separator: "/").map(String.init)  // ["vigil", "v1", ...]
        let route = Array(parts.dropFirst(2))
        if request.method == "POST", route == ["agents", "enroll"] { return try enroll(request.body) }
        if request.method == "POST", route.count == 3, route[0] == "registries", route[2] == "events" {
            // The registry's own notifications: a bearer token, not SigV4.
            let header = request.headers["authorization"]?.first ?? ""
            let bearer = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : nil
            do {
                guard let queued = try service.registryEvent(name: route[1], bearer: bearer, body: request.body) else {
                    throw AWSError(status: 401, type: "UnauthorizedException", message: "Unknown registry or wrong notification token")
                }
                return (200, try JSONSerialization.data(withJSONObject: ["queued": queued]))
            } catch let error as ServiceError {
                throw AWSError.validation(error.description)
            }
        }
        let (principal, signed) = try authenticate(request)
        func authorize(_ action: String, _ resource: String) throws {
            guard let policy = Policy(principal.policy), policy.allows(action: action, resource: resource) else {
                throw AWSError.accessDenied("User: arn:aws:iam::\(principal.accountID):user/\(principal.accessKeyID) is not authorized to perform: \(action) on resource: \(resource)")
            }
        }
        let account = "arn:aws:inspector2:\(signed.region):\(principal.accountID):account"
        do {
            switch (request.method, route.count, route.first) {
            case ("POST", 1, "functions"):
                try authorize("vigil:PublishFunction", account)
                let upload = try Self.decode(ScanService.FunctionUpload.self, request.body)
                let (arn, version) = try service.publish(upload, account: principal.accountID, region: signed.region)
                return (200, try Self.json(["functionArn": arn, "version": String(version)]))
            case ("POST", 1, "activations"):
                try authorize("vigil:CreateActivation", account)
                struct Options: Decodable { var registrationLimit: Int?; var expirationDays: Int? }
                let options = request.body.isEmpty ? Options() : try Self.decode(Options.self, request.body)
                let limit = options.registrationLimit ?? 1000
                let days = options.expirationDays ?? 30
                guard (1...100_000).contains(limit), (1...365).contains(days) else {
                    throw AWSError.validation("registrationLimit must be 1 to 100000 and expirationDays 1 to 365")
                }
                let (id, code) = try service.store.createActivation(account: principal.accountID, region: signed.region, registrations: limit,
                                                                    expires: Date().addingTimeInterval(Double(days) * 86400))
                return (200, try Self.json(["activationId": id, "activationCode": code]))
            case ("POST", 3, "agents") where route[2] == "inventory":
                let instance = route[1]
                guard instance.range(of: "^i-[0-9a-f]{8,17}$", options: .regularExpression) != nil else {
                    throw AWSError.validation("'\(instance)' is not an instance id")
                }
                try authorize("vigil:ReportInventory", "arn:aws:ec2:\(signed.region):\(principal.accountID):instance/\(instance)")
                let report = try Self.decode(ScanService.HostReport.self, request.body)
                try service.report(report, instanceID: instance, account: principal.accountID, region: signed.region)
                return (200, Data("{}".utf8))
            case ("POST", 1, "hosts"):
                try authorize("vigil:RegisterHost", account)
                let registration = try Self.decode(ScanService.HostRegistration.self, request.body)
                let instance = try service.registerHost(registration, account: principal.accountID, region: signed.region)
                return (200, try Self.json(["instanceId": instance]))
            case ("POST", 1, "registries"):
                try authorize("vigil:AddRegistry", account)
                let registration = try Self.decode(ScanService.RegistryRegistration.self, request.body)
                let token = try service.addRegistry(registration, account: principal.accountID, region: signed.region)
                return (200, try Self.json(["name": registration.name, "notificationPath": "/vigil/v1/registries/\(registration.name)/events",
                                            "notificationToken": token]))
            case ("POST", 3, "agents") where route[2] == "heartbeat":
                let instance = route[1]
                try authorize("vigil:SendHeartbeat", "arn:aws:ec2:\(signed.region):\(principal.accountID):instance/\(instance)")
                guard try service.store.resource(account: principal.accountID, region: signed.region, resourceID: instance) != nil else {
                    throw AWSError(status: 404, type: "ResourceNotFoundException", message: "No host \(instance) has reported yet")
                }
                try service.heartbeat(instanceID: instance, account: principal.accountID, region: signed.region)
                return (200, Data("{}".utf8))
            case ("POST", 2, "advisories") where route[1] == "update":
                try authorize("vigil:UpdateAdvisories", account)
                guard service.requestUpdate() else { throw AWSError.validation("This server has no advisory feeds to update from") }
                return (202, try Self.json(["status": "started"]))
            case ("GET", 1, "jobs"):
                try authorize("vigil:GetJobs", account)
                return (200, try JSONSerialization.data(withJSONObject: try service.store.jobCounts(), options: [.sortedKeys]))
            default:
                throw AWSError(status: 404, type: "UnknownOperationException", message: "No Vigil operation at \(request.method) \(request.rawPath)")
            }
        } catch let error as AWSError {
            throw error
        } catch let error as ServiceError {
            throw AWSError.validation(error.description)
        } catch {
            throw AWSError.internal("\(request.rawPath): \(error)")
        }
    }

    func enroll(_ body: Data) throws -> (Int, Data) {
        struct Request: Decodable { var activationId: String; var activationCode: String }
        let request = try Self.decode(Request.self, body)
        guard let enrollment = try service.enroll(activationID: request.activationId, code: request.activationCode) else {
            throw AWSError(status: 403, type: "InvalidActivation", message: "The activation id or code is wrong, expired or used up")
        }
        return (200, try JSONEncoder().encode(enrollment))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws -> T {
        do { return try JSONDecoder().decode(type, from: body) } catch {
            throw AWSError.validation("Could not read the request body: \(error)", reason: "CANNOT_PARSE")
        }
    }

    static func json(_ object: [String: String]) throws -> Data { try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }
}
