#!/usr/bin/env bash
# Builds the image benchmark input with umoci: an OCI layout OUT tagged "bench" with two gzip layers,
# (1) a Debian root filesystem (e.g. from `debootstrap --variant=minbase bookworm ROOT`) and
# (2) SIZE_MB megabytes of incompressible files under /opt/data (default 800: ~1 GB in all).
#   make-bench-image.sh ROOT OUT [SIZE_MB]
set -euo pipefail
root=$1 out=$2 size=${3:-800}
rm -rf "$out" && mkdir -p "$out.data/opt/data"
for k in $(seq 1 $((size / 100))); do head -c 100000000 /dev/urandom > "$out.data/opt/data/blob-$k.bin"; done
umoci init --layout "$out"
umoci new --image "$out:bench"
umoci insert --image "$out:bench" "$root" /
umoci insert --image "$out:bench" "$out.data/opt" /opt
rm -rf "$out.data"
