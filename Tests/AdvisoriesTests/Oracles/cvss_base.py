#!/usr/bin/env python3
"""Reads one CVSS vector per line; prints its base score as the `cvss` PyPI library computes it, or ! if it rejects it."""
import sys
from cvss import CVSS2, CVSS3, CVSS4

for line in sys.stdin:
    vector = line.strip()
    try:
        if vector.startswith("CVSS:4"):
            score = CVSS4(vector).scores()[0]
        elif vector.startswith("CVSS:3"):
            score = CVSS3(vector).scores()[0]
        else:
            score = CVSS2(vector).scores()[0]
        print(float(score) + 0.0)
    except Exception:
        print("!")
