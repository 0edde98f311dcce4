#!/usr/bin/env bash
# Builds the test images from this machine's real files with umoci and skopeo (Debian packages):
#   OUT/layout          OCI layout with tags:
#     app     3 layers: (1) os-release + the first 40 packages of /var/lib/dpkg/status,
#                       (2) the whole dpkg status + two installed Python distributions,
#                       (3) a whiteout deleting one of them
#     multi   an image index for linux/amd64 and linux/arm64 (the arm64 image has one more layer)
#   OUT/app-docker.tar  docker-archive of app (skopeo)
#   OUT/app-oci.tar     oci-archive of app (skopeo)
set -euo pipefail
out=$1
rm -rf "$out" && mkdir -p "$out/src"
src=$out/src
layout=$out/layout

status=/var/lib/dpkg/status
python3 - "$status" "$src" <<'PY'
import os, sys, shutil, importlib.metadata as md
status, src = sys.argv[1], sys.argv[2]
stanzas = [s for s in open(status, encoding="utf-8").read().split("\n\n") if s.strip()]
for layer, part in (("l1", stanzas[:40]), ("l2", stanzas)):
    os.makedirs(f"{src}/{layer}/var/lib/dpkg", exist_ok=True)
    with open(f"{src}/{layer}/var/lib/dpkg/status", "w", encoding="utf-8") as f:
        f.write("\n\n".join(part) + "\n")
os.makedirs(f"{src}/l1/etc", exist_ok=True)
shutil.copy(os.path.realpath("/etc/os-release"), f"{src}/l1/etc/os-release")
# Two real installed distributions (installed by .ci/run from PyPI): their dist-info directories.
for name in ("packaging", "cvss"):
    dist = md.distribution(name)
    info = os.path.dirname(dist.locate_file(dist._path / "METADATA")) if hasattr(dist, "_path") else None
    target = f"{src}/l2/usr/lib/python3/dist-packages/{os.path.basename(info)}"
    shutil.copytree(info, target)
    print(os.path.basename(info))
PY
umoci init --layout "$layout"
umoci new --image "$layout:app"
umoci insert --image "$layout:app" "$src/l1" /
umoci insert --image "$layout:app" "$src/l2" /
removed=$(ls "$src/l2/usr/lib/python3/dist-packages" | grep '^cvss')
umoci insert --image "$layout:app" --whiteout "/usr/lib/python3/dist-packages/$removed"

# Multi-platform: the same base for amd64 and arm64; the arm64 image adds a marker package list.
umoci new --image "$layout:amd"
umoci config --image "$layout:amd" --architecture amd64 --os linux
umoci insert --image "$layout:amd" "$src/l1" /
umoci new --image "$layout:arm"
umoci config --image "$layout:arm" --architecture arm64 --os linux
umoci insert --image "$layout:arm" "$src/l2" /
python3 - "$layout" <<'PY'
# An image index (OCI image-spec, image-index.md) over the two manifests, tagged "multi".
import hashlib, json, os, sys
layout = sys.argv[1]
index = json.load(open(f"{layout}/index.json"))
by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
entries = []
for tag, arch in (("amd", "amd64"), ("arm", "arm64")):
    m = dict(by_tag[tag]); m.pop("annotations", None)
    m["platform"] = {"architecture": arch, "os": "linux"}
    entries.append(m)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).encode()
digest = hashlib.sha256(body).hexdigest()
open(f"{layout}/blobs/sha256/{digest}", "wb").write(body)
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest,
                           "size": len(body), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(f"{layout}/index.json", "w"))
PY
skopeo copy --quiet "oci:$layout:app" "docker-archive:$out/app-docker.tar:vigil/app:1"
skopeo copy --quiet "oci:$layout:app" "oci-archive:$out/app-oci.tar:app"
