#!/usr/bin/env python3
"""An independent OSV matcher for the tests: reads the real records of one ecosystem's all.zip and
prints, for each "NAME VERSION" line on standard input, every non-withdrawn advisory whose
affected[] entry for (ECOSYSTEM, NAME) contains VERSION, following the OSV schema's evaluation rules,
with the real tool's version comparison:
  dpkg: dpkg --compare-versions     rpm: rpm's rpm.vercmp     pep440: packaging.version
  semver: Semantic Versioning 2.0.0 precedence (Go modules and crates; SEMVER ranges)
  npm: node-semver's compare (Debian's node-semver)   maven: Maven's ComparableVersion
  osv_match.py ZIP ECOSYSTEM dpkg|rpm|pep440|semver < packages
Lines: NAME VERSION ADVISORY-ID FIXED-VERSION-OR-NONE
"""
import functools, json, re, subprocess, sys, zipfile

zip_path, ecosystem, scheme = sys.argv[1:4]
version = None

@functools.lru_cache(maxsize=None)
def cmp(a, b):
    if a == b:
        return 0
    if scheme == "dpkg":
        return -1 if subprocess.run(["dpkg", "--compare-versions", a, "lt", b]).returncode == 0 else (
            0 if subprocess.run(["dpkg", "--compare-versions", a, "eq", b]).returncode == 0 else 1)
    if scheme == "rpm":
        out = subprocess.run(["rpm", "--eval", "%%{lua: print(rpm.vercmp('%s','%s'))}" % (a, b)], capture_output=True, text=True).stdout
        return int(out.strip())
    if scheme == "npm":
        out = subprocess.run(["node", "-e", "console.log(require('semver').compare(process.argv[1], process.argv[2]))", a, b],
                             capture_output=True, text=True, env={"NODE_PATH": "/usr/share/nodejs", "PATH": "/usr/bin:/bin"}).stdout
        return int(out.strip())
    if scheme == "maven":
        out = subprocess.run(["java", "-cp", "/usr/share/maven/lib/maven-artifact-3.x.jar",
                              "org.apache.maven.artifact.versioning.ComparableVersion", a, b], capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("   ")][0]
        return 0 if " == " in line else (-1 if " < " in line else 1)
    if scheme == "semver":
        def parse(v):
            v = v.lstrip("v").split("+")[0]
            core, _, pre = v.partition("-")
            nums = [int(x) for x in (core.split(".") + ["0", "0"])[:3]]
            ids = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")] if pre else None
            return nums, ids
        (na, pa), (nb, pb) = parse(a), parse(b)
        if na != nb:
            return -1 if na < nb else 1
        if pa is None or pb is None:
            return 0 if pa == pb else (1 if pa is None else -1)
        return -1 if pa < pb else (1 if pa > pb else 0)
    from packaging.version import Version
    x, y = Version(a), Version(b)
    return (x > y) - (x < y)

def normalize(n):
    return re.sub(r"[-_.]+", "-", n).lower() if scheme == "pep440" else n

kinds = ("SEMVER", "ECOSYSTEM") if scheme in ("semver", "npm") else ("ECOSYSTEM",)

def lowest_fix(entry):
    fixes = [v for r in entry.get("ranges", []) if r["type"] in kinds for e in r["events"] for k, v in e.items()
             if k == "fixed" and cmp(version, v) < 0]
    return min(fixes, key=functools.cmp_to_key(cmp)) if fixes else None

def affected(entry):
    if version in entry.get("versions", []):
        return True, lowest_fix(entry)
    for r in entry.get("ranges", []):
        if r["type"] not in kinds:
            continue
        events = r["events"]
        inside, fixed_here = False, None
        # Walk events in version order; introduced before last_affected before fixed at equal versions.
        keyed = []
        for e in events:
            (kind, v), = e.items()
            keyed.append((kind, v))
        order = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}
        keyed.sort(key=functools.cmp_to_key(lambda p, q: (-1 if p[1] == "0" and p[0] == "introduced" else 1 if q[1] == "0" and q[0] == "introduced" else cmp(p[1], q[1])) or (order[p[0]] - order[q[0]])))
        for kind, v in keyed:
            if kind == "introduced" and (v == "0" or cmp(version, v) >= 0):
                inside = True
            elif kind == "fixed" and inside and cmp(version, v) >= 0:
                inside = False
            elif kind == "last_affected" and inside and cmp(version, v) > 0:
                inside = False
            elif kind == "fixed" and cmp(version, v) < 0 and fixed_here is None:
                fixed_here = v
        if inside:
            return True, lowest_fix(entry)
    return False, None

by_name = {}
with zipfile.ZipFile(zip_path) as z:
    for member in sorted(z.namelist()):
        record = json.loads(z.read(member))
        if record.get("withdrawn"):
            continue
        for entry in record.get("affected", []):
            package = entry.get("package", {})
            if package.get("ecosystem") == ecosystem:
                by_name.setdefault(normalize(package.get("name", "")), []).append((record["id"], entry))
for line in sys.stdin.read().splitlines():
    if not line.strip():
        continue
    name, version = line.split(" ", 1)
    seen = set()
    for advisory, entry in by_name.get(normalize(name), []):
        if advisory in seen:
            continue
        hit, fixed = affected(entry)
        if hit:
            seen.add(advisory)
            print(name, version, advisory, fixed or "NONE")
