#!/usr/bin/env bash
# `npm run demo`: on a fresh clone, as root — installs what is missing
# (Debian packages, npm packages), builds the single executable when it is
# missing or older than the sources, then runs the lab demo (test/lab/demo.ts),
# which tears the lab down on exit, on an error and on Ctrl-C.
# Arguments go to demo.ts (--hold keeps the lab up until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root: the lab creates network namespaces and runs routing daemons in them" >&2; exit 1; }

bash scripts/install-deps.sh
# The lab's own packages (the test suite's list may not carry them).
missing=()
for p in bird2 frr iproute2 dbus curl procps; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "demo: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
if [ ! -x node_modules/.bin/node ] || [ ! -d node_modules/netlink ]; then
  echo "demo: npm ci"
  npm ci --no-audit --no-fund
fi
if [ ! -x dist/kube-lb-agent ] || [ -n "$(find src scripts package.json package-lock.json -newer dist/kube-lb-agent -type f -print -quit)" ]; then
  echo "demo: building dist/kube-lb-agent"
  npm run -s build
fi
exec ./node_modules/.bin/node test/lab/demo.ts "$@"
