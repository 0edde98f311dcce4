#!/usr/bin/env python3
"""An independent OSV matcher for the tests: reads the real records of one ecosystem's all.zip and
prints the id of every non-withdrawn advisory whose affected[] entry for (ECOSYSTEM, NAME) contains
VERSION, following the OSV schema's evaluation rules, with the real tool's version comparison:
  dpkg: dpkg --compare-versions     rpm: rpm's rpm.vercmp     pep440: packaging.version
  osv_match.py ZIP ECOSYSTEM NAME VERSION dpkg|rpm|pep440
Lines: ADVISORY-ID FIXED-VERSION-OR-NONE
"""
import functools, json, re, subprocess, sys, zipfile

zip_path, ecosystem, name, version, scheme = sys.argv[1:6]

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
    from packaging.version import Version
    x, y = Version(a), Version(b)
    return (x > y) - (x < y)

def normalize(n):
    return re.sub(r"[-_.]+", "-", n).lower() if scheme == "pep440" else n

def lowest_fix(entry):
    fixes = [v for r in entry.get("ranges", []) if r["type"] == "ECOSYSTEM" for e in r["events"] for k, v in e.items()
             if k == "fixed" and cmp(version, v) < 0]
    return min(fixes, key=functools.cmp_to_key(cmp)) if fixes else None

def affected(entry):
    if version in entry.get("versions", []):
        return True, lowest_fix(entry)
    for r in entry.get("ranges", []):
        if r["type"] != "ECOSYSTEM":
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

with zipfile.ZipFile(zip_path) as z:
    for member in sorted(z.namelist()):
        record = json.loads(z.read(member))
        if record.get("withdrawn"):
            continue
        for entry in record.get("affected", []):
            package = entry.get("package", {})
            if package.get("ecosystem") != ecosystem or normalize(package.get("name", "")) != normalize(name):
                continue
            hit, fixed = affected(entry)
            if hit:
                print(record["id"], fixed or "NONE")
                break
