#!/usr/bin/env python3
"""Copies the header blobs of an rpmdb.sqlite (written by Debian's rpm) into the two older rpm
database formats, so the readers can be checked against real headers.

  rpmdb_convert.py bdb SQLITE OUT PAGESIZE COPIES   Berkeley DB hash `Packages`, written by db5.3_load
                                                    (Berkeley DB itself); record 0 holds the next
                                                    instance number as rpm keeps it. Each header is
                                                    stored COPIES times under successive keys.
  rpmdb_convert.py ndb SQLITE OUT                   ndb `Packages.db`, laid out as rpm's
                                                    lib/backend/ndb/rpmpkg.c writes it (no writer
                                                    is packaged for Debian): 32-byte header "RpmP",
                                                    16-byte slots, 16-byte blocks, blob head "BlbS",
                                                    blob tail (adler32, length, "BlbE").
"""
import sqlite3, subprocess, sys, tempfile, zlib, struct

mode, source, out = sys.argv[1], sys.argv[2], sys.argv[3]
rows = sqlite3.connect(source).execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()

if mode == "bdb":
    pagesize, copies = int(sys.argv[4]), int(sys.argv[5])
    records = [(k + 1, rows[k % len(rows)][1]) for k in range(len(rows) * copies)]
    with tempfile.NamedTemporaryFile("w", suffix=".dump") as dump:
        dump.write("VERSION=3\nformat=bytevalue\ntype=hash\nHEADER=END\n")
        dump.write(" %s\n %s\n" % ((0).to_bytes(4, "little").hex(), (len(records) + 1).to_bytes(4, "little").hex()))
        for key, blob in records:
            dump.write(" %s\n %s\n" % (key.to_bytes(4, "little").hex(), blob.hex()))
        dump.write("DATA=END\n")
        dump.flush()
        subprocess.run(["db5.3_load", "-c", "db_pagesize=%d" % pagesize, "-f", dump.name, out], check=True)
elif mode == "ndb":
    slot_pages = 1
    blobs = bytearray()
    slots = bytearray()
    block = slot_pages * 4096 // 16
    for index, (hnum, blob) in enumerate(rows, start=1):
        body = struct.pack("<4sIII", b"BlbS", index, 1, len(blob)) + blob
        padded = len(body) + 12
        count = (padded + 15) // 16
        body += b"\0" * (count * 16 - padded)
        body += struct.pack("<II4s", zlib.adler32(body), len(blob), b"BlbE")
        slots += struct.pack("<4sIII", b"Slot", index, block, count)
        blobs += body
        block += count
    # A freed slot, as rpmpkgDel leaves it, must be skipped.
    slots += struct.pack("<4sIII", b"Slot", 0, 0, 0)
    header = struct.pack("<4sIIII", b"RpmP", 0, 1, slot_pages, len(rows) + 1) + b"\0" * 12
    area = header + slots
    area += b"".join(struct.pack("<4sIII", b"Slot", 0, 0, 0) for _ in range((slot_pages * 4096 - len(area)) // 16))
    with open(out, "wb") as f:
        f.write(area + blobs)
else:
    sys.exit("unknown mode " + mode)
