#!/usr/bin/env bash
# Push-to-finding latency: a release `vigil serve` and Debian's docker-registry notifying it, both on
# 127.0.0.1; a two-layer Debian 11 image (built with umoci) pushed three times with skopeo, then
# optionally a big image (e.g. from Scripts/make-bench-image.sh). Prints the time from the end of each
# push to its first findings (or, for the big image, to its coverage SUCCESSFUL), polled with the AWS CLI.
#   Scripts/bench-push-latency.sh [BIG_OCI_LAYOUT]      (run from the repository; works in a scratch dir)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
V=${VIGIL:-$repo/.build/release/vigil}
big=${1:-}
work=$(mktemp -d)
cd "$work"
export VIGIL_BOOTSTRAP_ACCESS_KEY_ID=AKIAVIGILBENCH000001 VIGIL_BOOTSTRAP_SECRET_ACCESS_KEY=bench-secret-000000000000 VIGIL_BOOTSTRAP_ACCOUNT_ID=111122223333
export AWS_ACCESS_KEY_ID=$VIGIL_BOOTSTRAP_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$VIGIL_BOOTSTRAP_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
$V db import --data-dir data "$repo/../shared/data/osv/Debian/all.zip" > /dev/null
$V serve --port 18090 --data-dir data 2> serve.err &
SP=$!
RP=
trap 'kill $SP $RP 2>/dev/null; rm -rf "$work"' EXIT
sleep 2
E=http://127.0.0.1:18090
aws --endpoint-url $E inspector2 enable --resource-types ECR > /dev/null
TOKEN=$($V registries add bench --url http://127.0.0.1:18091 --insecure --json --endpoint-url $E | python3 -c "import json,sys;print(json.load(sys.stdin)['notificationToken'])")
cat > config.yml <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $PWD/storage}}
http: {addr: 127.0.0.1:18091}
notifications:
  endpoints:
    - name: vigil
      url: $E/vigil/v1/registries/bench/events
      headers: {Authorization: [Bearer $TOKEN]}
      timeout: 5s
      threshold: 5
      backoff: 1s
YML
docker-registry serve config.yml > /dev/null 2>&1 &
RP=$!
sleep 1
# A two-layer Debian 11 image with findings (as in RegistryScanningTests).
mkdir -p l1/etc l1/var/lib/dpkg l2/var/lib/dpkg
printf 'ID=debian\nVERSION_ID="11"\n' > l1/etc/os-release
O='Package: libssl1.1\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 1.1.1n-0+deb11u1\n'
Z='Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.11.dfsg-2+deb11u1\n'
printf "$O" > l1/var/lib/dpkg/status; printf "$O\n$Z" > l2/var/lib/dpkg/status
umoci init --layout small >/dev/null; umoci new --image small:web; umoci insert --image small:web l1 / >/dev/null; umoci insert --image small:web l2 / >/dev/null
poll() { # $1: jq-less python predicate over list-findings / list-coverage output
  local start=$2
  while true; do
    out=$(aws --endpoint-url $E inspector2 $1 --output json)
    if echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if $3 else 1)"; then break; fi
    sleep 0.05
  done
  python3 -c "import time; print('%.2f' % (time.time() - $start))"
}
for n in 1 2 3; do
  skopeo copy --quiet --dest-tls-verify=false oci:small:web docker://127.0.0.1:18091/small$n/web:1.0
  t=$(python3 -c "import time; print(time.time())")
  echo "small 2-layer image, run $n: push done to first findings: $(poll list-findings $t "any('small$n/' in f['resources'][0]['id'] for f in d['findings'])") s"
done
[ -n "$big" ] || exit 0
skopeo copy --quiet --dest-tls-verify=false "oci:$big:bench" docker://127.0.0.1:18091/big/debian:12
t=$(python3 -c "import time; print(time.time())")
echo "big image: push done to coverage SUCCESSFUL: $(poll list-coverage $t "any('big/' in r['resourceId'] and r['scanStatus']['reason']=='SUCCESSFUL' and r['resourceType']=='AWS_ECR_CONTAINER_IMAGE' for r in d['coveredResources'])") s"
