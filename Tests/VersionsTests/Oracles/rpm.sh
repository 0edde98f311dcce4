#!/usr/bin/env bash
# Reads "A<TAB>B" lines on standard input; prints <, =, > as rpm's own rpm.vercmp (rpmverCmp) decides.
set -e
pairs=$(mktemp)
trap 'rm -f "$pairs"' EXIT
cat > "$pairs"
rpm --eval "%{lua:
for line in io.lines('$pairs') do
  local a, b = line:match('^(.-)\t(.*)$')
  local r = rpm.vercmp(a, b)
  print((r < 0 and '<' or (r > 0 and '>' or '=')) .. '\n')
end
}" | sed "/^$/d"
