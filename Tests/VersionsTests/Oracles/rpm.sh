#!/usr/bin/env bash
# Reads "A<TAB>B" lines from the file $1; prints <, =, > as rpm's own rpm.vercmp (rpmverCmp) decides.
rpm --eval "%{lua:
for line in io.lines('$1') do
  local a, b = line:match('^(.-)\t(.*)$')
  local r = rpm.vercmp(a, b)
  print((r < 0 and '<' or (r > 0 and '>' or '=')) .. '\n')
end
}" | sed "/^$/d"
