#!/usr/bin/env python3
"""Writes a one-layer OCI image layout (OCI image-spec: oci-layout, index.json, manifest, config,
gzip layer) whose layer is hostile in the ways a real attacker's would be:
  - etc/os-release is a symbolic link climbing far above the root (must stay inside the image),
  - a symbolic-link cycle (loop-a -> loop-b -> loop-a) named where the dpkg database would be,
  - a block device and a FIFO,
  - lib/apk/db/installed (Alpine packages) is reached through a chain of absolute and relative links,
and, with "hardlink-escape", a hard link whose target climbs out of the root.
  make_hostile_image.py OUT [hardlink-escape]
"""
import gzip, hashlib, io, json, os, sys, tarfile

out = sys.argv[1]
escape = len(sys.argv) > 2
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
    def add(name, data=b"", kind=tarfile.REGTYPE, link=""):
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind, link
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add("usr/lib/os-release", b'ID=alpine\nVERSION_ID=3.19.1\n')
    add("etc/os-release", kind=tarfile.SYMTYPE, link="../../../../../../usr/lib/os-release")
    add("var/lib/dpkg/loop-a", kind=tarfile.SYMTYPE, link="loop-b")
    add("var/lib/dpkg/loop-b", kind=tarfile.SYMTYPE, link="loop-a")
    add("var/lib/dpkg/status", kind=tarfile.SYMTYPE, link="loop-a")
    add("dev/sda", kind=tarfile.BLKTYPE)
    add("run/fifo", kind=tarfile.FIFOTYPE)
    add("usr/lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\no:busybox\n\n")
    add("lib/apk/db", kind=tarfile.SYMTYPE, link="/data/db-link")
    add("data/db-link", kind=tarfile.SYMTYPE, link="../usr/lib/apk/db")
    if escape:
        add("etc/shadow-copy", kind=tarfile.LNKTYPE, link="../../etc/shadow")
raw = layer.getvalue()
blob = gzip.compress(raw)

def put(data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{out}/blobs/sha256", exist_ok=True)
    open(f"{out}/blobs/sha256/{digest}", "wb").write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}

config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": dict(put(config), mediaType="application/vnd.oci.image.config.v1+json"),
                       "layers": [dict(put(blob), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}).encode()
entry = dict(put(manifest), mediaType="application/vnd.oci.image.manifest.v1+json",
             annotations={"org.opencontainers.image.ref.name": "hostile"})
json.dump({"schemaVersion": 2, "manifests": [entry]}, open(f"{out}/index.json", "w"))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
