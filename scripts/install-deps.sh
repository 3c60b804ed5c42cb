#!/usr/bin/env bash
# Installs the Debian packages the build and the test suite need, when missing.
# Reads nothing but the machine's own apt configuration (no mirror is named here).
set -euo pipefail

# build: strip (binutils), node-gyp (python3, make, g++)
# packaging: debhelper, dpkg-dev, fakeroot, lintian, shellcheck; systemd-analyze (systemd), man (man-db)
# cluster tests: openssl (test API server certificates); D-Bus tests: dbus-daemon (dbus)
# kernel tests: iproute2
# render and lab tests: the routing daemons (bird2, frr); on a machine with systemd as PID 1 their
#   packages enable and start bird.service / frr.service — the tests start their own daemons instead
# system test (VM): its own script installs qemu and debootstrap when it runs
PKGS=(binutils python3 make g++ iproute2 debhelper dpkg-dev fakeroot lintian shellcheck systemd man-db git openssl dbus bird2 frr)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]} — run as root (or install them) first" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
