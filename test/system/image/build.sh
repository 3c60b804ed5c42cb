#!/usr/bin/env bash
# Builds the cached base image of the system test: a Debian bookworm root
# filesystem made by debootstrap, packed into an ext4 image, plus the kernel
# and initrd qemu boots directly. Everything in image/ is the recipe: run.sh
# hashes it, so editing any file here rebuilds the image on the next run.
#
# usage: image/build.sh OUT_DIR      (writes OUT_DIR/{root.img,vmlinuz,initrd.img,packages.txt})
set -euo pipefail

out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm

# What the VM needs: an init with journald and a system bus, the tools the
# checks use, BIRD for the routing checks, a kernel, and what a local .deb of
# a Node single-executable needs to install offline (libc, libstdc++, adduser).
# polkitd is the package's Recommends: logind asks it whether the agent's
# unprivileged user may take a shutdown delay lock (it needs default-logind,
# which libpam-systemd provides). curl lets checks ask the test API server
# (forwarded from the host) what the agent wrote there.
packages=(
  systemd systemd-sysv udev dbus kmod libpam-systemd polkitd
  iproute2 bird2 procps curl
  linux-image-amd64 zstd
  apt adduser passwd libc6 libstdc++6 libgcc-s1
)

# Debian's mirror comes from this machine's apt sources, never from a file in
# the repository: first deb822 sources, then the one-line format.
mirror_from_host() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -r $f ]] || continue
    # A stanza whose Suites name the release itself (not -security/-updates).
    uri=$(awk -v suite="$suite" '
      BEGIN { RS=""; FS="\n" }
      {
        uris=""; ok=0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris=u[1] }
          if ($i ~ /^Suites:/) { n=split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok=1 }
        }
        if (ok && uris != "") { print uris; exit }
      }' "$f")
    [[ -n $uri ]] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r $f ]] || continue
    uri=$(awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1) == suite) { print $i; exit } }' "$f")
    [[ -n $uri ]] && { echo "$uri"; return; }
  done
  return 1
}

mirror=${SYSTEST_MIRROR:-$(mirror_from_host)} || { echo "build.sh: no Debian $suite mirror found in this machine's apt sources" >&2; exit 1; }
echo "build.sh: debootstrap $suite from the host's apt mirror ($mirror)" >&2

work=$(mktemp -d "${out%/}.build.XXXXXX")
cleanup() { umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
root=$work/rootfs

include=$(IFS=,; echo "${packages[*]}")
debootstrap --variant=minbase --include="$include" --components=main \
  "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" >&2; echo "build.sh: debootstrap failed" >&2; exit 1; }

# Files of the guest that the image carries (units, configs); modes as in git.
cp -a "$here/overlay/." "$root/"
chown -R 0:0 "$root/etc/systemd" "$root/usr/local"

chroot_do() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

echo systest > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tsystest\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
cat > "$root/etc/fstab" <<'FSTAB'
LABEL=systest-root  /        ext4  defaults,errors=remount-ro  0 1
LABEL=SYSTEST       /systest ext4  defaults,nofail,x-systemd.device-timeout=5min  0 2
FSTAB
mkdir -p "$root/systest" "$root/var/log/journal"
chroot_do passwd -d root >/dev/null
# No apt sources in the guest: it has no way out, and nothing to fetch.
rm -f "$root/etc/apt/sources.list"
: > "$root/etc/machine-id"   # a fresh machine id on first boot

# Timers that would take dpkg's lock or burn emulated CPU behind the checks.
systemctl --root="$root" mask --quiet apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer 2>/dev/null || true
systemctl --root="$root" disable --quiet bird.service
systemctl --root="$root" enable --quiet systemd-networkd.service systest.service
# Only a static address on a restricted link: nothing to wait for.
systemctl --root="$root" mask --quiet systemd-networkd-wait-online.service

# The initrd again, with the overlay's initramfs and modprobe settings.
chroot_do update-initramfs -u -k all > "$work/initramfs.log" 2>&1 || {
  cat "$work/initramfs.log" >&2; echo "build.sh: update-initramfs failed" >&2; exit 1; }
chroot_do apt-get clean
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/log/"*.log "$root/tmp/"*

dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Package} ${Version} ${Provides}\n' > "$work/packages.txt"
cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/initrd.img"
chmod 0644 "$work/vmlinuz" "$work/initrd.img"

# Room for the packages under test and their state; the file is sparse.
used_mb=$(du -sm "$root" | cut -f1)
mkfs.ext4 -q -F -L systest-root -d "$root" "$work/root.img" "$((used_mb + 1024))M" > /dev/null

mkdir -p "$out"
mv "$work/root.img" "$work/vmlinuz" "$work/initrd.img" "$work/packages.txt" "$out/"
echo "build.sh: image ready in $out ($((used_mb)) MB of files)" >&2
