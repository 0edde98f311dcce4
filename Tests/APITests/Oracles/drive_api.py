#!/usr/bin/env python3
"""Drives a running `vigil serve` with boto3/botocore exactly as Inspector users do, printing
"ok NAME" for each check that holds and "FAIL NAME: why" for each that does not.
  drive_api.py ENDPOINT ADMIN_KEY ADMIN_SECRET ADMIN_ACCOUNT READONLY_KEY READONLY_SECRET OTHER_KEY OTHER_SECRET OTHER_ACCOUNT
"""
import datetime, gzip, json, os, sys
import boto3, botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
import urllib.request, urllib.error
from shapes import shape_errors

endpoint, key, secret, account, ro_key, ro_secret, other_key, other_secret, other_account = sys.argv[1:10]
region = "eu-west-1"
failures = 0

def check(name, condition, why=""):
    global failures
    if condition:
        print("ok", name)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, why))

def client(k, s):
    return boto3.client("inspector2", endpoint_url=endpoint, region_name=region, aws_access_key_id=k, aws_secret_access_key=s)

def error_code(call):
    try:
        call()
        return None
    except ClientError as e:
        return e.response["Error"]["Code"]

admin = client(key, secret)

# Every raw response body is kept, to be checked against the model's output shape at the end.
raw_bodies = []
def keep_body(operation_model=None, response_dict=None, **_):
    if response_dict and response_dict.get("status_code", 500) < 300:
        raw_bodies.append((operation_model, response_dict.get("body", b"")))
admin.meta.events.register("before-parse.inspector2.*", keep_body)

# The seed workflow: enable, status, disable.
r = admin.enable(resourceTypes=["EC2", "ECR"])
check("enable", r["accounts"][0]["resourceStatus"]["ec2"] == "ENABLED" and r["accounts"][0]["resourceStatus"]["lambda"] == "DISABLED", r)
s = admin.batch_get_account_status()
check("status-enabled", s["accounts"][0]["accountId"] == account and s["accounts"][0]["state"]["status"] == "ENABLED", s)
r = admin.disable(resourceTypes=["EC2"])
check("disable-one", r["accounts"][0]["resourceStatus"]["ec2"] == "DISABLED" and r["accounts"][0]["resourceStatus"]["ecr"] == "ENABLED", r)
r = admin.disable()
check("disable-all", r["accounts"][0]["status"] == "DISABLED", r)
# Regions are separate.
admin.enable(resourceTypes=["LAMBDA"])
other_region = boto3.client("inspector2", endpoint_url=endpoint, region_name="us-east-2", aws_access_key_id=key, aws_secret_access_key=secret)
s = other_region.batch_get_account_status()
check("region-partition", s["accounts"][0]["resourceState"]["lambda"]["status"] == "DISABLED", s)
# Validation in AWS's form (botocore's own checks switched off so the server sees the bad input).
from botocore.config import Config
unchecked = boto3.client("inspector2", endpoint_url=endpoint, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
                         config=Config(parameter_validation=False))
code = error_code(lambda: unchecked.enable(resourceTypes=["EC2"], accountIds=["123"]))
check("validation-pattern", code == "ValidationException", code)
check("validation-enum", error_code(lambda: unchecked.enable(resourceTypes=["MAINFRAME"])) == "ValidationException")
check("validation-required", error_code(lambda: unchecked.enable()) == "ValidationException")
try:
    unchecked.enable(resourceTypes=["EC2"], accountIds=["123"])
except ClientError as e:
    check("validation-message", e.response["Error"]["Message"].startswith("1 validation error detected"), e.response)

# Permissions, with botocore's paginator over a page size of 2.
pages = list(admin.get_paginator("list_account_permissions").paginate(PaginationConfig={"PageSize": 2}))
permissions = [p for page in pages for p in page["permissions"]]
check("permissions-paginated", len(pages) == 4 and len(permissions) == 8 and {"service": "ECR", "operation": "ENABLE_REPOSITORY"} in permissions, pages)
check("permissions-filtered", [p["service"] for p in admin.list_account_permissions(service="LAMBDA")["permissions"]] == ["LAMBDA", "LAMBDA"])
# Configuration and deep inspection round-trip.
c = admin.get_configuration()
check("configuration-defaults", c["ecrConfiguration"]["rescanDurationState"]["rescanDuration"] == "LIFETIME"
      and c["ec2Configuration"]["scanModeState"]["scanMode"] == "EC2_SSM_AGENT_BASED", c)
admin.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_30", "pullDateRescanDuration": "DAYS_14"}, ec2Configuration={"scanMode": "EC2_HYBRID"})
c = admin.get_configuration()
check("configuration-updated", c["ecrConfiguration"]["rescanDurationState"]["rescanDuration"] == "DAYS_30"
      and "updatedAt" in c["ecrConfiguration"]["rescanDurationState"] and c["ec2Configuration"]["scanModeState"]["scanMode"] == "EC2_HYBRID", c)
check("configuration-enum", error_code(lambda: unchecked.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_7"})) == "ValidationException")
d = admin.update_ec2_deep_inspection_configuration(activateDeepInspection=True, packagePaths=["/opt/app", "/srv/venv/lib"])
check("deep-inspection", d["status"] == "ACTIVATED" and admin.get_ec2_deep_inspection_configuration()["packagePaths"] == ["/opt/app", "/srv/venv/lib"], d)
check("deep-inspection-limits", error_code(lambda: unchecked.update_ec2_deep_inspection_configuration(packagePaths=["/a", "/b", "/c", "/d", "/e", "/f"])) == "ValidationException")

# Tags on the caller's own ARNs; encryption keys; free trials; usage.
arn = "arn:aws:inspector2:%s:%s:owner/%s/filter/f1" % (region, account, account)
admin.tag_resource(resourceArn=arn, tags={"team": "platform", "env": "prod"})
admin.untag_resource(resourceArn=arn, tagKeys=["env"])
check("tags", admin.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform"})
foreign = "arn:aws:inspector2:%s:999999999999:owner/999999999999/filter/f1" % region
check("tags-foreign", error_code(lambda: admin.list_tags_for_resource(resourceArn=foreign)) == "ResourceNotFoundException")
check("key-absent", error_code(lambda: admin.get_encryption_key(scanType="PACKAGE", resourceType="AWS_ECR_CONTAINER_IMAGE")) == "ResourceNotFoundException")
kms = "arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab" % (region, account)
admin.update_encryption_key(kmsKeyId=kms, scanType="PACKAGE", resourceType="AWS_ECR_CONTAINER_IMAGE")
check("key-set", admin.get_encryption_key(scanType="PACKAGE", resourceType="AWS_ECR_CONTAINER_IMAGE")["kmsKeyId"] == kms)
admin.reset_encryption_key(scanType="PACKAGE", resourceType="AWS_ECR_CONTAINER_IMAGE")
check("key-reset", error_code(lambda: admin.get_encryption_key(scanType="PACKAGE", resourceType="AWS_ECR_CONTAINER_IMAGE")) == "ResourceNotFoundException")
t = admin.batch_get_free_trial_info(accountIds=[account, "999999999999"])
check("free-trial", t["accounts"][0]["accountId"] == account and t["failedAccounts"][0]["code"] == "ACCESS_DENIED", t)
check("usage", admin.list_usage_totals()["totals"] == [{"accountId": account, "usage": []}])

# Coverage over the seeded resources (Population.swift): six for this account in this region.
def coverage(**criteria):
    return admin.list_coverage(filterCriteria=criteria)["coveredResources"] if criteria else admin.list_coverage()["coveredResources"]
eq = lambda v: [{"comparison": "EQUALS", "value": v}]
pages = list(admin.get_paginator("list_coverage").paginate(PaginationConfig={"PageSize": 4}))
ids = [r["resourceId"] for p in pages for r in p["coveredResources"]]
check("coverage-paginated", len(pages) == 2 and len(ids) == 6 and len(set(ids)) == 6, pages)
check("coverage-map-filter", [r["resourceId"] for r in coverage(ec2InstanceTags=[{"comparison": "EQUALS", "key": "env", "value": "prod"}])] == ["i-0a1b2c3d4e5f60001"])
check("coverage-not-equals", [r["resourceId"] for r in coverage(scanStatusCode=[{"comparison": "NOT_EQUALS", "value": "ACTIVE"}])] == ["i-0a1b2c3d4e5f60002"])
check("coverage-or-within-key", len(coverage(resourceType=eq("AWS_LAMBDA_FUNCTION") + eq("AWS_ECR_REPOSITORY"))) == 2)
check("coverage-and-across-keys", len(coverage(ecrRepositoryName=eq("web"), resourceType=eq("AWS_ECR_CONTAINER_IMAGE"))) == 1)
check("coverage-image-tags", len(coverage(ecrImageTags=eq("latest"))) == 1)
check("coverage-date", len(coverage(lastScannedAt=[{"startInclusive": datetime.datetime.fromtimestamp(1790000000 - 2 * 3600 - 1, datetime.timezone.utc)}])) == 2)
stats = admin.list_coverage_statistics(groupBy="RESOURCE_TYPE")
check("coverage-statistics", stats["totalCounts"] == 6 and {c["groupKey"]: c["count"] for c in stats["countsByGroup"]}
      == {"AWS_EC2_INSTANCE": 2, "AWS_ECR_CONTAINER_IMAGE": 2, "AWS_ECR_REPOSITORY": 1, "AWS_LAMBDA_FUNCTION": 1}, stats)
stats = admin.list_coverage_statistics(groupBy="SCAN_STATUS_REASON", filterCriteria={"scanStatusCode": eq("ACTIVE")})
check("coverage-statistics-filtered", {c["groupKey"]: c["count"] for c in stats["countsByGroup"]} == {"SUCCESSFUL": 4, "PENDING_INITIAL_SCAN": 1}, stats)
check("coverage-max-results", error_code(lambda: unchecked.list_coverage(maxResults=500)) == "ValidationException")

# Findings over the seeded findings: five for this account in this region.
def findings(**criteria):
    return admin.list_findings(filterCriteria=criteria)["findings"]
pages = list(admin.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 2}))
arns = [f["findingArn"] for p in pages for f in p["findings"]]
check("findings-paginated", len(pages) == 3 and len(arns) == 5 and len(set(arns)) == 5, [len(p["findings"]) for p in pages])
check("findings-prefix", len(findings(title=[{"comparison": "PREFIX", "value": "CVE-2023"}])) == 3)
check("findings-not-equals", len(findings(findingStatus=[{"comparison": "NOT_EQUALS", "value": "CLOSED"}])) == 4)
check("findings-number", sorted(f["inspectorScore"] for f in findings(inspectorScore=[{"lowerInclusive": 9}])) == [9.8, 9.8])
check("findings-package", len(findings(vulnerablePackages=[{"name": {"comparison": "EQUALS", "value": "zlib1g"}}])) == 2)
check("findings-tags", [f["resources"][0]["type"] for f in findings(resourceTags=[{"comparison": "EQUALS", "key": "team", "value": "media"}])] == ["AWS_LAMBDA_FUNCTION"])
ordered = admin.list_findings(sortCriteria={"field": "INSPECTOR_SCORE", "sortOrder": "ASC"})["findings"]
check("findings-sort", [f["inspectorScore"] for f in ordered] == [6.1, 7.4, 7.4, 9.8, 9.8], ordered)
check("findings-port-range", findings(portRange=[{"beginInclusive": 1}]) == [])

# Every operation of the model is routed: unbuilt ones answer NotImplemented, never 404.
model = json.load(gzip.open(os.path.join(os.path.dirname(botocore.__file__), "data/inspector2/2020-06-08/service-2.json.gz")))
credentials = Credentials(key, secret)
implemented = {"Enable", "Disable", "BatchGetAccountStatus", "ListAccountPermissions", "GetConfiguration", "UpdateConfiguration",
               "GetEc2DeepInspectionConfiguration", "UpdateEc2DeepInspectionConfiguration", "TagResource", "UntagResource",
               "ListTagsForResource", "GetEncryptionKey", "UpdateEncryptionKey", "ResetEncryptionKey", "BatchGetFreeTrialInfo", "ListUsageTotals",
               "ListCoverage", "ListCoverageStatistics", "ListFindings", "ListFindingAggregations", "BatchGetFindingDetails",
               "CreateFilter", "UpdateFilter", "DeleteFilter", "ListFilters", "SearchVulnerabilities"}
routed = 0
for name, op in model["operations"].items():
    path = op["http"]["requestUri"].split("?")[0]
    for part in [p for p in path.split("/") if p.startswith("{")]:
        path = path.replace(part, "x")
    request = AWSRequest(method=op["http"]["method"], url=endpoint + path, data=b"{}", headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "inspector2", region).add_auth(request)
    prepared = request.prepare()
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method=prepared.method)) as response:
            status, kind = response.status, None
    except urllib.error.HTTPError as e:
        status, kind = e.code, e.headers.get("x-amzn-ErrorType")
    if name in implemented:
        ok = status in (200, 400, 404)
    else:
        ok = status == 501 and kind == "NotImplemented"
    routed += ok
    if not ok:
        check("routed-" + name, False, (status, kind))
check("all-operations-routed", routed == len(model["operations"]), "%d of %d" % (routed, len(model["operations"])))

# Authentication failures.
def raw(method, path, body=b"{}", sign_key=key, sign_secret=secret, service="inspector2", sign_region=region, when=None, tamper=None, drop=None):
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers={"Content-Type": "application/json"})
    auth = SigV4Auth(Credentials(sign_key, sign_secret), service, sign_region)
    if when:
        # botocore reads the clock through its module's datetime: sign as if it were `when`.
        import botocore.auth as botocore_auth
        real = botocore_auth.datetime.datetime
        class Then(real):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)
            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)
        botocore_auth.datetime.datetime = Then
        try:
            auth.add_auth(request)
        finally:
            botocore_auth.datetime.datetime = real
    else:
        auth.add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers)
    if drop:
        headers.pop(drop, None)
    data = tamper if tamper is not None else prepared.body
    try:
        with urllib.request.urlopen(urllib.request.Request(prepared.url, data=data, headers=headers, method=method)) as response:
            return response.status, None
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("x-amzn-ErrorType")

check("signed-ok", raw("POST", "/status/batch/get") == (200, None))
check("wrong-secret", raw("POST", "/status/batch/get", sign_secret="not-the-secret") == (403, "InvalidSignatureException"))
check("unknown-key", raw("POST", "/status/batch/get", sign_key="AKIAUNKNOWNKEY000000") == (403, "UnrecognizedClientException"))
past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
check("expired-date", raw("POST", "/status/batch/get", when=past) == (403, "InvalidSignatureException"))
check("wrong-service", raw("POST", "/status/batch/get", service="s3")[1] == "InvalidSignatureException")
check("tampered-body", raw("POST", "/status/batch/get", tamper=b'{"accountIds": ["999999999999"]}') == (403, "InvalidSignatureException"))
check("missing-authorization", raw("POST", "/status/batch/get", drop="Authorization") == (403, "MissingAuthenticationTokenException"))
check("missing-date", raw("POST", "/status/batch/get", drop="X-Amz-Date")[0] == 403)

# Authorisation: a read-only key may read but not enable; another account sees only itself.
readonly = client(ro_key, ro_secret)
check("read-only-reads", readonly.batch_get_account_status()["accounts"][0]["accountId"] == account)
check("read-only-cannot-enable", error_code(lambda: readonly.enable(resourceTypes=["EC2"])) == "AccessDeniedException")
check("read-only-no-permissions", readonly.list_account_permissions()["permissions"] == [])
other = client(other_key, other_secret)
mine = other.list_findings()["findings"]
check("other-account-findings", len(mine) == 1 and mine[0]["awsAccountId"] == other_account, mine)
check("other-account-coverage", [r["accountId"] for r in other.list_coverage()["coveredResources"]] == [other_account])
r = other.batch_get_account_status(accountIds=[account])
check("other-account-denied", r["accounts"] == [] and r["failedAccounts"][0]["errorCode"] == "ACCESS_DENIED", r)
r = other.enable(resourceTypes=["EC2"], accountIds=[account])
check("other-account-cannot-enable", r["accounts"] == [] and r["failedAccounts"][0]["errorCode"] == "ACCESS_DENIED", r)
s = admin.batch_get_account_status()
check("admin-unchanged-by-other", s["accounts"][0]["resourceState"]["ec2"]["status"] == "DISABLED", s)
# Every response of every implemented operation, against botocore's output shapes.
checked = set()
problems = []
for operation_model, body in raw_bodies:
    if operation_model.output_shape is None:
        continue
    checked.add(operation_model.name)
    document = json.loads(body or b"{}")
    if operation_model.name == "ListCoverageStatistics":
        # groupKey carries the group's value (ACTIVE, AWS_EC2_INSTANCE, ...), though the model types
        # the member as the GroupKey enum; everything else is checked.
        for group in document.get("countsByGroup", []):
            group.pop("groupKey", None)
    problems += ["%s%s" % (operation_model.name, e) for e in shape_errors(operation_model.output_shape, document, "")]
check("output-shapes", not problems and len(checked) >= 19, (sorted(checked), problems[:10]))
sys.exit(1 if failures else 0)
