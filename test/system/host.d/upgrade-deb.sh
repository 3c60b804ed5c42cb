# A second package of a higher version for the upgrade check
# (checks/2-boot/74-upgrade.sh): packaging/build-deb.sh with KLA_DEB_VERSION,
# around the very executable of the package under test (taken out of it), so
# the upgrade changes the version and nothing else. gzip, not xz: under
# emulation most of an install is decompression, and the compression is not
# what the check is about (measured for the whole apt-get run, one run each
# on a shared machine: gzip -1 49 s; uncompressed 72 s, the 110 MB payload's
# I/O costing more than the inflate it saves).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$SYSTEST_RUN/upgrade-deb
rm -rf "$work"; mkdir -p "$work/root"
dpkg-deb --fsys-tarfile "$SYSTEST_DEB" | tar -x -C "$work/root" ./usr/bin/kube-lb-agent
version="$(dpkg-deb -f "$SYSTEST_DEB" Version)+systest1"
deb=$(cd "$repo" && DPKG_DEB_COMPRESSOR_TYPE=gzip DPKG_DEB_COMPRESSOR_LEVEL=1 \
  KLA_DEB_VERSION=$version KLA_DEB_BINARY=$work/root/usr/bin/kube-lb-agent KLA_DEB_OUTDIR=$SYSTEST_PAYLOAD/debs \
  bash packaging/build-deb.sh)
rm -rf "$work"
printf 'export SYSTEST_UPGRADE_DEB=%q\nexport SYSTEST_UPGRADE_VERSION=%q\n' "$(basename "$deb")" "$version" >> "$SYSTEST_PAYLOAD/settings"
echo "upgrade-deb: $(basename "$deb")"
