#!/usr/bin/env python3
"""Validates a CycloneDX 1.5 JSON document (standard input) with cyclonedx-python-lib's strict validator.
Prints 'valid' or the first error, and exits 1 when invalid."""
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(sys.stdin.read())
print("valid" if error is None else error)
sys.exit(0 if error is None else 1)
