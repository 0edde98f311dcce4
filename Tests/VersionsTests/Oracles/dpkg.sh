#!/usr/bin/env bash
# Reads "A<TAB>B" lines; prints <, =, > as `dpkg --compare-versions` decides, or ! when dpkg rejects a version.
while IFS=$'\t' read -r a b; do
  dpkg --compare-versions "$a" lt "$b" 2>/dev/null; r=$?
  if [ $r -eq 0 ]; then echo "<"; continue; fi
  if [ $r -ne 1 ]; then echo "!"; continue; fi
  if dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo "="; else echo ">"; fi
done
