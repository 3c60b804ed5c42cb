#!/usr/bin/env bash
# The whole test suite — the README's test command (`npm test`) and CI's.
# Needs root: kernel tests create network namespaces, packaging tests install
# the .deb, the system test boots a VM. It installs what it needs itself.
#
# Stages: deps → npm ci → typecheck → build binary → build .deb →
#         node tests (unit, apiserver, cluster, dbus, observe, kernel, agent, render, binary, packaging) →
#         lab (namespaces: BIRD/FRR routers, three nodes with the agent binary, real packets) →
#         system test (VM).
# KLA_SKIP_SYSTEM=1 skips the VM stage (for quick local runs only; CI never sets it).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$(date +%s)
stage() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }
die() { echo "test-all: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root: kernel tests create network namespaces, packaging tests install the .deb"

stage "Debian packages"
bash scripts/install-deps.sh || die "installing Debian packages failed"

stage "npm packages"
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "${CI:-}" = "true" ] || [ ! -f node_modules/.kla-lock ] || [ "$(cat node_modules/.kla-lock)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund || die "npm ci failed"
  echo "$lock_sum" > node_modules/.kla-lock
else
  echo "node_modules matches package-lock.json"
fi
export PATH="$root/node_modules/.bin:$PATH"
node --version | grep -q '^v24\.' || die "node on PATH is $(node --version), expected the pinned 24.x"

failed=0
stage "typecheck"
tsc --noEmit || failed=1

stage "planner line coverage (gate: 95 %)"
npm run -s coverage:plan || failed=1

stage "build: single executable"
npm run -s build || die "build failed"
stage "build: .deb"
npm run -s deb || die ".deb build failed"

stage "node tests"
mkdir -p build
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=build/node-tests.tap \
  "src/**/*.test.ts" "test/unit/**/*.test.ts" "test/apiserver/**/*.test.ts" "test/cluster/**/*.test.ts" "test/dbus/**/*.test.ts" "test/observe/**/*.test.ts" \
  "test/kernel/**/*.test.ts" "test/agent/**/*.test.ts" "test/render/**/*.test.ts" "test/binary/**/*.test.ts" "test/packaging/**/*.test.ts" || failed=1
n_pass=$(awk '/^# pass /{print $3}' build/node-tests.tap | tail -1)
n_fail=$(awk '/^# fail /{print $3}' build/node-tests.tap | tail -1)

stage "lab (test/lab: routers, nodes, the agent binary, ECMP, real packets)"
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination=build/lab-tests.tap \
  "test/lab/**/*.test.ts" || failed=1
lab_pass=$(awk '/^# pass /{print $3}' build/lab-tests.tap | tail -1)
lab_fail=$(awk '/^# fail /{print $3}' build/lab-tests.tap | tail -1)

vm_pass=0 vm_fail=0
if [ "${KLA_SKIP_SYSTEM:-}" = "1" ] && [ "${CI:-}" != "true" ]; then
  stage "system test (VM): skipped by KLA_SKIP_SYSTEM=1"
else
  stage "system test (VM)"
  bash test/system/run.sh 2>&1 | tee build/system-test.log
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' build/system-test.log | tail -1)
  vm_pass=$(echo "${line:-0 passed, 1 failed}" | awk '{print $1}')
  vm_fail=$(echo "${line:-0 passed, 1 failed}" | awk '{print $3}')
fi

stage "done"
total_pass=$(( ${n_pass:-0} + ${lab_pass:-0} + vm_pass ))
total_fail=$(( ${n_fail:-1} + ${lab_fail:-1} + vm_fail ))
[ "$total_fail" -eq 0 ] || failed=1
echo "node tests: ${n_pass:-?} passed, ${n_fail:-?} failed; lab: ${lab_pass:-?} passed, ${lab_fail:-?} failed; system test: $vm_pass passed, $vm_fail failed; $(( $(date +%s) - start ))s"
echo "$total_pass passed, $total_fail failed"
exit $failed
