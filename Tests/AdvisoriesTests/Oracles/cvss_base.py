#!/usr/bin/env python3
"""Reads one CVSS vector per line; prints its base score as the `cvss` PyPI library computes it, or ! if it rejects it."""
import sys
from cvss import CVSS2, CVSS3

for line in sys.stdin:
    vector = line.strip()
    try:
        score = (CVSS3(vector) if vector.startswith("CVSS:3") else CVSS2(vector)).scores()[0]
        print(float(score) + 0.0)
    except Exception:
        print("!")
