#!/usr/bin/env python3
"""Drives the findings API of a running `vigil serve` with boto3, over a generated population
(`vigil bench populate`), against a naive evaluation written here from the documented semantics:
every filter key, random filter combinations across pages, every sort field in both orders, page
tokens across concurrent writes, every aggregation type with its filters and sorts, suppression
rules (with expiry), finding details, and every response against botocore's output shapes.
Prints "ok NAME" per check that holds and "FAIL NAME: why" per check that does not.
  drive_findings.py ENDPOINT KEY SECRET ACCOUNT OTHER_KEY OTHER_SECRET OTHER_ACCOUNT VIGIL DATA_DIR
"""
import datetime, json, random, subprocess, sys, time
import boto3
from botocore.exceptions import ClientError
from shapes import shape_errors

endpoint, key, secret, account, other_key, other_secret, other_account, vigil, data_dir = sys.argv[1:10]
region = "eu-west-1"
failures = 0
rng = random.Random(20261127)

def check(name, condition, why=""):
    global failures
    if condition:
        print("ok", name)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, str(why)[:2000]))

def client(k, s):
    return boto3.client("inspector2", endpoint_url=endpoint, region_name=region, aws_access_key_id=k, aws_secret_access_key=s)

admin = client(key, secret)
raw_bodies = []
def keep_body(operation_model=None, response_dict=None, **_):
    if response_dict and response_dict.get("status_code", 500) < 300:
        raw_bodies.append((operation_model, response_dict.get("body", b"")))
admin.meta.events.register("before-parse.inspector2.*", keep_body)
model = admin.meta.service_model

def error_code(call):
    try:
        call()
        return None
    except ClientError as e:
        return e.response["Error"]["Code"]

def populate(findings, seed, accounts=None):
    subprocess.run([vigil, "bench", "populate", "--data-dir", data_dir, "--findings", str(findings), "--seed", str(seed),
                    "--accounts", accounts or account, "--region", region], check=True, capture_output=True)

def everything(page_size=100, **request):
    """Every finding of a ListFindings request, following nextToken; (findings, duplicate count)."""
    found, seen, duplicates, token = [], set(), 0, None
    while True:
        page = admin.list_findings(maxResults=page_size, **request, **({"nextToken": token} if token else {}))
        for f in page["findings"]:
            duplicates += f["findingArn"] in seen
            seen.add(f["findingArn"])
            found.append(f)
        token = page.get("nextToken")
        if not token:
            return found, duplicates

# MARK: The naive model of a finding and of each filter kind.

def ts(value):
    return value.timestamp() if isinstance(value, datetime.datetime) else value

def facts(f):
    details = [r.get("details", {}) for r in f["resources"]]
    images = [d["awsEcrContainerImage"] for d in details if "awsEcrContainerImage" in d]
    functions = [d["awsLambdaFunction"] for d in details if "awsLambdaFunction" in d]
    hosts = [d["awsEc2Instance"] for d in details if "awsEc2Instance" in d]
    v = f.get("packageVulnerabilityDetails", {})
    opt = lambda x: [x] if x is not None else []
    pick = lambda items, k: [i[k] for i in items if k in i]
    return {
        "findingArn": [f["findingArn"]], "awsAccountId": [f["awsAccountId"]], "findingType": [f["type"]], "severity": [f["severity"]],
        "findingStatus": [f["status"]], "title": opt(f.get("title")), "resourceType": [r["type"] for r in f["resources"]],
        "resourceId": [r["id"] for r in f["resources"]], "ec2InstanceImageId": pick(hosts, "imageId"), "ec2InstanceVpcId": pick(hosts, "vpcId"),
        "ec2InstanceSubnetId": pick(hosts, "subnetId"), "ecrImageArchitecture": pick(images, "architecture"), "ecrImageRegistry": pick(images, "registry"),
        "ecrImageRepositoryName": pick(images, "repositoryName"), "ecrImageTags": [t for i in images for t in i.get("imageTags", [])],
        "ecrImageHash": pick(images, "imageHash"), "networkProtocol": [], "componentId": [], "componentType": [],
        "vulnerabilityId": opt(v.get("vulnerabilityId")), "vulnerabilitySource": opt(v.get("source")), "vendorSeverity": opt(v.get("vendorSeverity")),
        "relatedVulnerabilities": v.get("relatedVulnerabilities", []), "fixAvailable": opt(f.get("fixAvailable")),
        "lambdaFunctionName": pick(functions, "functionName"), "lambdaFunctionLayers": [l for fn in functions for l in fn.get("layers", [])],
        "lambdaFunctionRuntime": pick(functions, "runtime"), "lambdaFunctionExecutionRoleArn": pick(functions, "executionRoleArn"),
        "exploitAvailable": opt(f.get("exploitAvailable")), "codeVulnerabilityDetectorName": [], "codeVulnerabilityDetectorTags": [],
        "codeVulnerabilityFilePath": [], "codeRepositoryProjectName": [], "codeRepositoryProviderType": [],
        "firstObservedAt": [ts(f["firstObservedAt"])], "lastObservedAt": [ts(f["lastObservedAt"])], "updatedAt": opt(ts(f.get("updatedAt"))),
        "ecrImagePushedAt": [ts(i["pushedAt"]) for i in images if "pushedAt" in i], "ecrImageLastInUseAt": [ts(i["lastInUseAt"]) for i in images if "lastInUseAt" in i],
        "lambdaFunctionLastModifiedAt": [ts(fn["lastModifiedAt"]) for fn in functions if "lastModifiedAt" in fn],
        "inspectorScore": opt(f.get("inspectorScore")), "epssScore": opt(f.get("epss", {}).get("score")), "ecrImageInUseCount": pick(images, "inUseCount"),
    }

def string_passes(filters, values):
    if any(x["comparison"] == "NOT_EQUALS" and x["value"] in values for x in filters):
        return False
    including = [x for x in filters if x["comparison"] != "NOT_EQUALS"]
    return not including or any(v == x["value"] if x["comparison"] == "EQUALS" else v.startswith(x["value"]) for x in including for v in values)

def range_passes(filters, values, low, high):
    return any(all([low not in x or v >= ts(x[low]), high not in x or v <= ts(x[high])]) for x in filters for v in values)

def package_passes(filters, f):
    packages = f.get("packageVulnerabilityDetails", {}).get("vulnerablePackages", [])
    parts = {"name": "name", "version": "version", "release": "release", "architecture": "arch", "sourceLayerHash": "sourceLayerHash",
             "sourceLambdaLayerArn": "sourceLambdaLayerArn", "filePath": "filePath"}
    def one(x, p):
        for part, member in parts.items():
            if part in x and not string_passes([x[part]], [p[member]] if member in p else []):
                return False
        return "epoch" not in x or ("epoch" in p and range_passes([x["epoch"]], [p["epoch"]], "lowerInclusive", "upperInclusive"))
    return any(one(x, p) for x in filters for p in packages)

criteria_shape = model.shape_for("FilterCriteria")
def naive(criteria, f):
    known = facts(f)
    for name, filters in criteria.items():
        kind = criteria_shape.members[name].member.name
        if kind == "StringFilter":
            ok = string_passes(filters, known[name])
        elif kind == "DateFilter":
            ok = range_passes(filters, known[name], "startInclusive", "endInclusive")
        elif kind == "NumberFilter":
            ok = range_passes(filters, known[name], "lowerInclusive", "upperInclusive")
        elif kind == "MapFilter":
            ok = any(x["key"] in r.get("tags", {}) and ("value" not in x or r["tags"][x["key"]] == x["value"]) for x in filters for r in f["resources"])
        elif kind == "PackageFilter":
            ok = package_passes(filters, f)
        elif kind == "PortRangeFilter":
            ok = False  # no network reachability findings in the population
        else:
            raise Exception("unknown filter kind " + kind)
        if not ok:
            return False
    return True

population, _ = everything()
check("population", len(population) > 1000 and all(f["awsAccountId"] == account for f in population), len(population))

def sample_filter(name):
    """One filter list for the key, drawn from the population's values (several comparisons and ORs)."""
    kind = criteria_shape.members[name].member.name
    values = [v for f in rng.sample(population, 60) for v in facts(f).get(name, [])] if kind not in ("MapFilter", "PackageFilter", "PortRangeFilter") else []
    if kind == "StringFilter":
        if not values:
            return [{"comparison": rng.choice(["EQUALS", "NOT_EQUALS"]), "value": "absent"}]
        a, b = rng.choice(values), rng.choice(values)
        return rng.choice([
            [{"comparison": "EQUALS", "value": a}],
            [{"comparison": "EQUALS", "value": a}, {"comparison": "EQUALS", "value": b}],
            [{"comparison": "PREFIX", "value": a[:max(1, len(a) // 2)]}],
            [{"comparison": "NOT_EQUALS", "value": a}],
            [{"comparison": "PREFIX", "value": a[:3]}, {"comparison": "NOT_EQUALS", "value": b}],
        ])
    if kind in ("DateFilter", "NumberFilter"):
        low, high = ("startInclusive", "endInclusive") if kind == "DateFilter" else ("lowerInclusive", "upperInclusive")
        if not values:
            return [{low: datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc) if kind == "DateFilter" else 0}]
        a, b = sorted([rng.choice(values), rng.choice(values)])
        # botocore sends whole seconds (it drops the fraction), so bounds are drawn as whole seconds.
        wrap = (lambda x: datetime.datetime.fromtimestamp(int(x), datetime.timezone.utc)) if kind == "DateFilter" else (lambda x: x)
        return rng.choice([[{low: wrap(a), high: wrap(b)}], [{low: wrap(a)}], [{high: wrap(b)}], [{low: wrap(b)}, {high: wrap(a)}]])
    if kind == "MapFilter":
        tags = [(k, v) for f in rng.sample(population, 20) for r in f["resources"] for k, v in r.get("tags", {}).items()]
        k, v = rng.choice(tags)
        return rng.choice([[{"comparison": "EQUALS", "key": k, "value": v}], [{"comparison": "EQUALS", "key": k}]])
    if kind == "PackageFilter":
        packages = [p for f in rng.sample(population, 20) for p in f.get("packageVulnerabilityDetails", {}).get("vulnerablePackages", [])]
        p = rng.choice(packages)
        return rng.choice([
            [{"name": {"comparison": "EQUALS", "value": p["name"]}}],
            [{"name": {"comparison": "EQUALS", "value": p["name"]}, "version": {"comparison": "PREFIX", "value": p["version"][:2]}}],
            [{"name": {"comparison": "NOT_EQUALS", "value": p["name"]}, "epoch": {"lowerInclusive": 1}}],
            [{"filePath": {"comparison": "PREFIX", "value": "/app/"}}, {"sourceLayerHash": {"comparison": "PREFIX", "value": "sha256:"}}],
        ])
    return [{"beginInclusive": 1, "endInclusive": 1024}]

def query(criteria, page_size=100, **request):
    found, duplicates = everything(page_size, filterCriteria=criteria, **request)
    return {f["findingArn"] for f in found}, duplicates

# MARK: Every filter key, alone, in several forms.
for name in criteria_shape.members:
    for attempt in range(2):
        criteria = {name: sample_filter(name)}
        got, duplicates = query(criteria)
        want = {f["findingArn"] for f in population if naive(criteria, f)}
        check("filter-%s-%d" % (name, attempt), got == want and duplicates == 0,
              (criteria, len(got), len(want), sorted(got ^ want)[:3]))

# MARK: Property: random combinations across random page sizes equal the naive evaluation.
names = list(criteria_shape.members)
mismatches, nonempty = [], 0
for trial in range(80):
    criteria = {name: sample_filter(name) for name in rng.sample(names, rng.randint(1, 4))}
    got, duplicates = query(criteria, page_size=rng.randint(20, 100))
    want = {f["findingArn"] for f in population if naive(criteria, f)}
    nonempty += bool(want)
    if got != want or duplicates:
        mismatches.append((criteria, len(got), len(want), duplicates))
check("property-random-combinations", not mismatches, mismatches[:3])
check("property-has-nonempty-cases", nonempty >= 20, nonempty)

# MARK: Every sort field, both orders: the naive order (values in order, then findings without one; ARNs break ties).
rank = {"UNTRIAGED": 0, "INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
def sort_value(f, field):
    image = next((r["details"]["awsEcrContainerImage"] for r in f["resources"] if "awsEcrContainerImage" in r.get("details", {})), None)
    v = f.get("packageVulnerabilityDetails", {})
    return {
        "AWS_ACCOUNT_ID": f["awsAccountId"], "FINDING_TYPE": f["type"], "SEVERITY": rank[f["severity"]], "FIRST_OBSERVED_AT": ts(f["firstObservedAt"]),
        "LAST_OBSERVED_AT": ts(f["lastObservedAt"]), "FINDING_STATUS": f["status"], "RESOURCE_TYPE": f["resources"][0]["type"],
        "ECR_IMAGE_PUSHED_AT": ts(image["pushedAt"]) if image and "pushedAt" in image else None,
        "ECR_IMAGE_REPOSITORY_NAME": image["repositoryName"] if image else None, "ECR_IMAGE_REGISTRY": image["registry"] if image else None,
        "NETWORK_PROTOCOL": None, "COMPONENT_TYPE": None, "VULNERABILITY_ID": v.get("vulnerabilityId"), "VULNERABILITY_SOURCE": v.get("source"),
        "INSPECTOR_SCORE": f.get("inspectorScore"), "VENDOR_SEVERITY": v.get("vendorSeverity"), "EPSS_SCORE": f.get("epss", {}).get("score"),
    }[field]

for field in model.shape_for("SortField").enum:
    for order in ("ASC", "DESC"):
        found, duplicates = everything(page_size=rng.choice([37, 100]), sortCriteria={"field": field, "sortOrder": order})
        got = [f["findingArn"] for f in found]
        present = sorted((f for f in population if sort_value(f, field) is not None), key=lambda f: f["findingArn"])
        present.sort(key=lambda f: sort_value(f, field), reverse=order == "DESC")
        absent = sorted((f for f in population if sort_value(f, field) is None), key=lambda f: f["findingArn"])
        want = [f["findingArn"] for f in present + absent]
        check("sort-%s-%s" % (field, order), got == want and duplicates == 0,
              next(((i, got[i], want[i]) for i in range(min(len(got), len(want))) if got[i] != want[i]), (len(got), len(want))))

# MARK: Tokens.
check("token-other-request", error_code(lambda: admin.list_findings(maxResults=10, nextToken=admin.list_findings(maxResults=10)["nextToken"],
                                                                    sortCriteria={"field": "EPSS_SCORE", "sortOrder": "ASC"})) == "ValidationException")
check("token-garbage", error_code(lambda: admin.list_findings(nextToken="not-a-token")) == "ValidationException")

# MARK: Aggregations: every type against the naive groups of ACTIVE findings, with filters and sorts.
active = [f for f in population if f["status"] == "ACTIVE"]
def counts(findings):
    c = {"all": len(findings), "medium": 0, "high": 0, "critical": 0}
    for f in findings:
        if f["severity"].lower() in c:
            c[f["severity"].lower()] += 1
    return c

def groups(kind):
    out = {}
    for f in active:
        packages = f.get("packageVulnerabilityDetails", {}).get("vulnerablePackages", [])
        for r in f["resources"]:
            d = r.get("details", {})
            keys = {
                "ACCOUNT": [f["awsAccountId"]], "FINDING_TYPE": [f["type"]], "TITLE": [f.get("title")],
                "PACKAGE": sorted({p["name"] for p in packages}),
                "AMI": [d["awsEc2Instance"]["imageId"]] if "imageId" in d.get("awsEc2Instance", {}) else [],
                "AWS_EC2_INSTANCE": [r["id"]] if r["type"] == "AWS_EC2_INSTANCE" else [],
                "AWS_ECR_CONTAINER": [r["id"]] if "awsEcrContainerImage" in d else [],
                "REPOSITORY": [d["awsEcrContainerImage"]["repositoryName"]] if "awsEcrContainerImage" in d else [],
                "IMAGE_LAYER": sorted({(r["id"], p["sourceLayerHash"]) for p in packages if "sourceLayerHash" in p}) if "awsEcrContainerImage" in d else [],
                "AWS_LAMBDA_FUNCTION": [r["id"]] if "awsLambdaFunction" in d else [],
                "LAMBDA_LAYER": sorted({(r["id"], p["sourceLambdaLayerArn"]) for p in packages if "sourceLambdaLayerArn" in p}) if "awsLambdaFunction" in d else [],
                "CODE_REPOSITORY": [],
            }[kind]
            for k in keys:
                out.setdefault(k, {"findings": [], "members": set()})
                out[k]["findings"].append(f)
                out[k]["members"].add(r["id"])
    return out

def identity(kind, entry):
    return {
        "ACCOUNT": lambda e: e["accountId"], "FINDING_TYPE": lambda e: "PACKAGE_VULNERABILITY", "TITLE": lambda e: e["title"],
        "PACKAGE": lambda e: e["packageName"], "AMI": lambda e: e["ami"], "AWS_EC2_INSTANCE": lambda e: e["instanceId"],
        "AWS_ECR_CONTAINER": lambda e: e["resourceId"], "REPOSITORY": lambda e: e["repository"],
        "IMAGE_LAYER": lambda e: (e["resourceId"], e["layerHash"]), "AWS_LAMBDA_FUNCTION": lambda e: e["resourceId"],
        "LAMBDA_LAYER": lambda e: (e["resourceId"], e["layerArn"]), "CODE_REPOSITORY": lambda e: e["resourceId"],
    }[kind](entry)

members = {"ACCOUNT": "accountAggregation", "AMI": "amiAggregation", "AWS_ECR_CONTAINER": "awsEcrContainerAggregation",
           "AWS_EC2_INSTANCE": "ec2InstanceAggregation", "FINDING_TYPE": "findingTypeAggregation", "IMAGE_LAYER": "imageLayerAggregation",
           "PACKAGE": "packageAggregation", "REPOSITORY": "repositoryAggregation", "TITLE": "titleAggregation", "LAMBDA_LAYER": "lambdaLayerAggregation",
           "AWS_LAMBDA_FUNCTION": "lambdaFunctionAggregation", "CODE_REPOSITORY": "codeRepositoryAggregation"}

def aggregate(kind, request=None, page_size=100):
    out, token = [], None
    while True:
        page = admin.list_finding_aggregations(aggregationType=kind, maxResults=page_size, **({"aggregationRequest": {members[kind]: request}} if request is not None else {}),
                                               **({"nextToken": token} if token else {}))
        out += [r[members[kind]] for r in page["responses"]]
        token = page.get("nextToken")
        if not token:
            return out

for kind in model.shape_for("AggregationType").enum:
    want = groups(kind)
    got = aggregate(kind, page_size=rng.choice([7, 100]))
    got_map = {identity(kind, e): e for e in got}
    wrong = [k for k in want if k not in got_map or got_map[k]["severityCounts"] != counts(want[k]["findings"])]
    extra = [k for k in got_map if k not in want]
    details = True
    for k, e in got_map.items():
        if k not in want:
            continue
        if kind == "AMI" and e["affectedInstances"] != len(want[k]["members"]):
            details = False
        if kind == "REPOSITORY" and e["affectedImages"] != len(want[k]["members"]):
            details = False
        if kind in ("ACCOUNT", "FINDING_TYPE") and (e["exploitAvailableCount"] != sum(f.get("exploitAvailable") == "YES" for f in want[k]["findings"])
                                                    or e["fixAvailableCount"] != sum(f.get("fixAvailable") == "YES" for f in want[k]["findings"])):
            details = False
    check("aggregation-%s" % kind, not wrong and not extra and len(got) == len(got_map) and details,
          (len(got), len(want), wrong[:3], extra[:3]))
    sort_shape = model.shape_for("AggregationRequest").members[members[kind]].members["sortBy"]
    for sort_by in sort_shape.enum:
        for order in ("ASC", "DESC"):
            got = aggregate(kind, {"sortBy": sort_by, "sortOrder": order})
            metric = lambda e: {"ALL": e["severityCounts"]["all"], "CRITICAL": e["severityCounts"]["critical"], "HIGH": e["severityCounts"]["high"],
                                "AFFECTED_INSTANCES": e.get("affectedInstances"), "AFFECTED_IMAGES": e.get("affectedImages"),
                                "NETWORK_FINDINGS": e.get("networkFindings")}[sort_by]
            values = [metric(e) for e in got]
            check("aggregation-%s-sort-%s-%s" % (kind, sort_by, order), values == sorted(values, reverse=order == "DESC") and len(got) == len(want), values[:10])

# Aggregation filters: each type's own filters against the naive groups.
some = lambda kind: rng.choice(sorted(groups(kind), key=str))
package = some("PACKAGE")
got = aggregate("PACKAGE", {"packageNames": [{"comparison": "EQUALS", "value": package}]})
check("aggregation-filter-PACKAGE", [e["packageName"] for e in got] == [package], got)
repository = some("REPOSITORY")
got = aggregate("AWS_ECR_CONTAINER", {"repositories": [{"comparison": "EQUALS", "value": repository}]})
want = [k for k, g in groups("AWS_ECR_CONTAINER").items() if g["findings"][0]["resources"][0]["details"]["awsEcrContainerImage"]["repositoryName"] == repository]
check("aggregation-filter-AWS_ECR_CONTAINER", sorted(e["resourceId"] for e in got) == sorted(want), (len(got), len(want)))
got = aggregate("AWS_EC2_INSTANCE", {"instanceTags": [{"comparison": "EQUALS", "key": "env", "value": "prod"}]})
want = [k for k, g in groups("AWS_EC2_INSTANCE").items() if g["findings"][0]["resources"][0].get("tags", {}).get("env") == "prod"]
check("aggregation-filter-AWS_EC2_INSTANCE", sorted(e["instanceId"] for e in got) == sorted(want), (len(got), len(want)))
got = aggregate("TITLE", {"vulnerabilityIds": [{"comparison": "PREFIX", "value": "VGEN-2016"}]})
want = [k for k in groups("TITLE") if k.startswith("VGEN-2016")]
check("aggregation-filter-TITLE", sorted(e["title"] for e in got) == sorted(want), (len(got), len(want)))
got = aggregate("AWS_LAMBDA_FUNCTION", {"runtimes": [{"comparison": "PREFIX", "value": "PYTHON"}]})
check("aggregation-filter-AWS_LAMBDA_FUNCTION", got and all(e["runtime"].startswith("PYTHON") for e in got), got[:2])
ami = some("AMI")
got = aggregate("AMI", {"amis": [{"comparison": "EQUALS", "value": ami}]})
check("aggregation-filter-AMI", [e["ami"] for e in got] == [ami] and got[0]["affectedInstances"] == len(groups("AMI")[ami]["members"]), got)
layer = some("IMAGE_LAYER")
got = aggregate("IMAGE_LAYER", {"layerHashes": [{"comparison": "EQUALS", "value": layer[1]}]})
check("aggregation-filter-IMAGE_LAYER", [(e["resourceId"], e["layerHash"]) for e in got] == [layer], got)
if groups("LAMBDA_LAYER"):
    function_layer = some("LAMBDA_LAYER")
    got = aggregate("LAMBDA_LAYER", {"resourceIds": [{"comparison": "EQUALS", "value": function_layer[0]}]})
    want = sorted(k for k in groups("LAMBDA_LAYER") if k[0] == function_layer[0])
    check("aggregation-filter-LAMBDA_LAYER", sorted((e["resourceId"], e["layerArn"]) for e in got) == want, (got, want))
got = aggregate("ACCOUNT", {"resourceType": "AWS_LAMBDA_FUNCTION"})
check("aggregation-filter-ACCOUNT", len(got) == 1 and got[0]["severityCounts"] == counts([f for f in active if f["resources"][0]["type"] == "AWS_LAMBDA_FUNCTION"]), got)
check("aggregation-filter-FINDING_TYPE", aggregate("FINDING_TYPE", {"findingType": "NETWORK_REACHABILITY"}) == [])
check("aggregation-mismatched-request", error_code(lambda: admin.list_finding_aggregations(aggregationType="PACKAGE",
                                                  aggregationRequest={"amiAggregation": {}})) == "ValidationException")

# MARK: Details.
mine = [f["findingArn"] for f in population[:2]]
other = client(other_key, other_secret)
theirs = other.list_findings(maxResults=1)["findings"]
check("other-account-isolated", theirs and theirs[0]["awsAccountId"] == other_account and all(f["awsAccountId"] == other_account for f in other.list_findings()["findings"]))
unknown = "arn:aws:inspector2:%s:%s:finding/%s" % (region, account, "0" * 32)
r = admin.batch_get_finding_details(findingArns=mine + [theirs[0]["findingArn"], unknown])
details = {d["findingArn"]: d for d in r["findingDetails"]}
errors = {e["findingArn"]: e["errorCode"] for e in r["errors"]}
check("details-own", set(details) == set(mine) and all(d["evidences"] and d["evidences"][0]["evidenceDetail"] for d in details.values()), r)
check("details-epss", all(d.get("epssScore") == next(f for f in population if f["findingArn"] == a)["epss"]["score"] for a, d in details.items()), r)
check("details-errors", errors == {theirs[0]["findingArn"]: "ACCESS_DENIED", unknown: "FINDING_DETAILS_NOT_FOUND"}, errors)

# MARK: Pages hold across concurrent writes: no finding twice, none of those present before missed.
before = {f["findingArn"] for f in population}
seen, duplicates, token, pages = set(), 0, None, 0
while True:
    page = admin.list_findings(maxResults=100, **({"nextToken": token} if token else {}))
    pages += 1
    for f in page["findings"]:
        duplicates += f["findingArn"] in seen
        seen.add(f["findingArn"])
    if pages in (1, 3):
        populate(400, 1000 + pages)  # another process writes 400 findings while the pages are read
    if pages in (2, 4):
        # ... and rewrites every finding already there (the test's population again: same ARNs, same documents).
        populate(1500, 7, ",".join([account, other_account, "777788889999"]))
    token = page.get("nextToken")
    if not token:
        break
check("pages-across-writes", duplicates == 0 and before <= seen and pages > 3, (duplicates, len(before - seen), pages))
population, _ = everything()
check("writes-visible", len(population) >= len(before) + 700, (len(population), len(before)))

# MARK: Suppression rules.
def status_count(criteria, status):
    return len(everything(filterCriteria=dict(criteria, findingStatus=[{"comparison": "EQUALS", "value": status}]))[0])
rule = {"vulnerabilityId": [{"comparison": "PREFIX", "value": "VGEN-2016"}]}
stored_active = [f for f in population if f["status"] == "ACTIVE" and naive(rule, f)]
created = admin.create_filter(name="accepted-2016", action="SUPPRESS", filterCriteria=rule, reason="accepted risk", description="legacy ids")
check("suppress-at-once", status_count(rule, "SUPPRESSED") == len(stored_active) and status_count(rule, "ACTIVE") == 0, (status_count(rule, "SUPPRESSED"), len(stored_active)))
check("suppress-others-untouched", status_count({}, "SUPPRESSED") == len(stored_active))
populate(400, 77)  # new findings, some matching the rule
population, _ = everything()
matching = [f for f in population if naive(rule, f) and f["status"] != "CLOSED"]
check("suppress-new-findings", len(matching) > len(stored_active) and all(f["status"] == "SUPPRESSED" for f in matching), (len(matching), len(stored_active)))
filters = admin.list_filters()["filters"]
check("list-filters", [f["name"] for f in filters] == ["accepted-2016"] and filters[0]["criteria"] == rule and filters[0]["reason"] == "accepted risk", filters)
check("list-filters-action", admin.list_filters(action="NONE")["filters"] == [] and len(admin.list_filters(arns=[created["arn"]])["filters"]) == 1)
narrower = dict(rule, severity=[{"comparison": "EQUALS", "value": "CRITICAL"}])
admin.update_filter(filterArn=created["arn"], filterCriteria=narrower)
expected = [f for f in population if naive(narrower, f) and f["status"] != "CLOSED"]
check("narrowed-restores", status_count(rule, "SUPPRESSED") == len(expected) and status_count(rule, "ACTIVE") == len(matching) - len(expected),
      (status_count(rule, "SUPPRESSED"), len(expected)))
admin.delete_filter(arn=created["arn"])
check("deleted-restores", status_count({}, "SUPPRESSED") == 0 and status_count(rule, "ACTIVE") == len(matching))
check("delete-unknown", error_code(lambda: admin.delete_filter(arn=created["arn"])) == "ResourceNotFoundException")
check("update-unknown", error_code(lambda: admin.update_filter(filterArn=created["arn"], name="x")) == "ResourceNotFoundException")
# Expiry (Vigil's extension): suppressed until the time in the vigil:expiresAt tag, ACTIVE after.
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
expiring = admin.create_filter(name="until-soon", action="SUPPRESS", filterCriteria=rule, tags={"vigil:expiresAt": soon})
check("expiring-suppresses", status_count(rule, "SUPPRESSED") == len(matching))
time.sleep(5.5)
check("expiry-restores", status_count(rule, "SUPPRESSED") == 0 and status_count(rule, "ACTIVE") == len(matching))
admin.tag_resource(resourceArn=expiring["arn"], tags={"vigil:expiresAt": "2099-01-01"})
check("expiry-extended-by-tag", status_count(rule, "SUPPRESSED") == len(matching) and admin.list_tags_for_resource(resourceArn=expiring["arn"])["tags"] == {"vigil:expiresAt": "2099-01-01"})
check("expiry-unreadable", error_code(lambda: admin.create_filter(name="bad", action="SUPPRESS", filterCriteria=rule, tags={"vigil:expiresAt": "next tuesday"})) == "ValidationException")
check("filter-needs-criteria", error_code(lambda: admin.create_filter(name="all", action="SUPPRESS", filterCriteria={})) == "ValidationException")
plain = admin.create_filter(name="saved-view", action="NONE", filterCriteria=rule)
check("none-filter-does-not-suppress", status_count(rule, "SUPPRESSED") == len(matching))
check("filters-isolated", other.list_filters()["filters"] == [])

# MARK: Every response against botocore's output shapes.
problems, checked = [], set()
for operation_model, body in raw_bodies:
    checked.add(operation_model.name)
    problems += ["%s%s" % (operation_model.name, e) for e in shape_errors(operation_model.output_shape, json.loads(body or b"{}"), "")]
check("output-shapes", not problems and {"ListFindings", "ListFindingAggregations", "BatchGetFindingDetails", "CreateFilter", "UpdateFilter",
                                          "DeleteFilter", "ListFilters"} <= checked, (sorted(checked), problems[:10]))
sys.exit(1 if failures else 0)
