#!/usr/bin/env python3
"""Real version strings and ranges from OSV data laid out like OSV's bucket (<Ecosystem>/all.zip).

  version-corpus.py versions ECOSYSTEM [--data DIR]    one distinct version per line (sorted)
  version-corpus.py ranges ECOSYSTEM [--data DIR]      one JSON line per affected[] entry
  version-corpus.py write OUTDIR [--data DIR]          OUTDIR/<Ecosystem>.txt for every ecosystem

DIR defaults to ../shared/data/osv next to the repository. Used by the Versions tests and by
`vigil bench versions --corpus OUTDIR`.
"""
import json
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "osv"))


def records(data, ecosystem):
    path = os.path.join(data, ecosystem, "all.zip")
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.endswith(".json"):
                yield json.loads(z.read(name))


def versions(data, ecosystem):
    found = set()
    for record in records(data, ecosystem):
        for affected in record.get("affected", []):
            found.update(affected.get("versions", []))
            for r in affected.get("ranges", []):
                if r.get("type") == "GIT":
                    continue
                for event in r.get("events", []):
                    for key, value in event.items():
                        if key in ("introduced", "fixed", "last_affected", "limit") and value != "0":
                            found.add(value)
    return sorted(v for v in found if "\n" not in v and "\t" not in v)


def ranges(data, ecosystem):
    for record in records(data, ecosystem):
        for affected in record.get("affected", []):
            yield json.dumps({
                "id": record.get("id", ""),
                "ecosystem": affected.get("package", {}).get("ecosystem", ecosystem),
                "ranges": [{"type": r.get("type", ""),
                            "events": [{"kind": k, "version": v} for e in r.get("events", []) for k, v in e.items()]}
                           for r in affected.get("ranges", [])],
                "versions": affected.get("versions", []),
            })


def main(argv):
    data = DEFAULT_DATA
    if "--data" in argv:
        i = argv.index("--data")
        data = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 2 or argv[0] not in ("versions", "ranges", "write"):
        sys.exit(__doc__)
    command, arg = argv
    if command == "versions":
        print("\n".join(versions(data, arg)))
    elif command == "ranges":
        for line in ranges(data, arg):
            print(line)
    else:
        os.makedirs(arg, exist_ok=True)
        with open(os.path.join(data, "ecosystems.txt")) as f:
            names = [line.strip() for line in f if line.strip()]
        for name in names:
            with open(os.path.join(arg, name + ".txt"), "w") as out:
                out.write("\n".join(versions(data, name)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
