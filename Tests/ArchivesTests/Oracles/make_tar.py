#!/usr/bin/env python3
"""Writes tar streams with Python's tarfile (the reference writer) and prints what tarfile reads
back from them, one line per entry: TYPE PATH SIZE LINK SHA256-OF-CONTENT.

  make_tar.py normal OUT.tar FORMAT     FORMAT: pax | gnu | ustar; files, long names, links, dirs
  make_tar.py hostile KIND OUT.tar      KIND: dotdot | bigpax | device
"""
import hashlib, io, sys, tarfile

def add(tar, name, data=b"", kind=tarfile.REGTYPE, link="", mode=0o644):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, mode
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

mode = sys.argv[1]
if mode == "normal":
    out, fmt = sys.argv[2], {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}[sys.argv[3]]
    with tarfile.open(out, "w", format=fmt) as tar:
        add(tar, "./etc", kind=tarfile.DIRTYPE, mode=0o755)
        add(tar, "./etc/os-release", b'ID=debian\nVERSION_ID="12"\n')
        deep = "usr/lib/" + "/".join(["d%02d-%s" % (k, "x" * 20) for k in range(6)]) + "/METADATA"
        add(tar, deep, b"Name: deep\nVersion: 1.0\n" * 3)
        add(tar, "usr/bin/tool", bytes(range(256)) * 40, mode=0o755)
        add(tar, "usr/bin/tool-link", kind=tarfile.SYMTYPE, link="tool")
        add(tar, "usr/bin/tool-hard", kind=tarfile.LNKTYPE, link="usr/bin/tool")
        add(tar, "empty", b"")
        if fmt == tarfile.PAX_FORMAT:
            add(tar, "unicodé/naïve.txt", "héllo".encode())
    with tarfile.open(out) as tar:
        for m in tar.getmembers():
            data = tar.extractfile(m).read() if m.isreg() else b""
            kind = "file" if m.isreg() else "dir" if m.isdir() else "symlink" if m.issym() else "hardlink" if m.islnk() else "other"
            print(kind, m.name, len(data), m.linkname or "-", hashlib.sha256(data).hexdigest())
elif mode == "hostile":
    kind, out = sys.argv[2], sys.argv[3]
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        if kind == "dotdot":
            add(tar, "etc/ok", b"fine")
            add(tar, "../../escape", b"evil")
        elif kind == "bigpax":
            info = tarfile.TarInfo("big")
            info.pax_headers = {"comment": "x" * (3 << 20)}
            tar.addfile(info, io.BytesIO(b""))
        elif kind == "device":
            add(tar, "dev/sda", kind=tarfile.BLKTYPE)
            add(tar, "etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n")
