#!/usr/bin/env bash
# Reads "A<TAB>B" lines; prints <, =, > as Maven's ComparableVersion decides. ComparableVersion's main
# compares each argument with the next, so pairs are passed as A1 B1 A2 B2 ... and every other
# comparison is kept.
jar=/usr/share/maven/lib/maven-artifact-3.x.jar
args=()
while IFS=$'\t' read -r a b; do args+=("$a" "$b"); done
java -cp "$jar" org.apache.maven.artifact.versioning.ComparableVersion "${args[@]}" |
  awk '/^   / { n++; if (n % 2 == 1) { if ($0 ~ / == /) print "="; else if ($0 ~ / < /) print "<"; else print ">" } }'
