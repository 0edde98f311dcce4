#!/usr/bin/env python3
"""Reads "A<TAB>B" lines; prints <, =, > as packaging.version.Version orders them, ! for an invalid version."""
import sys
from packaging.version import InvalidVersion, Version

for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t", 1)
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        print("!")
        continue
    print("<" if x < y else ("=" if x == y else ">"))
