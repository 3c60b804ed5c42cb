#!/usr/bin/env bash
# System test: the real kube-lb-agent .deb under real systemd and journald in a
# Debian bookworm VM booted by qemu (software emulation, TCG).
#
#   npm run test:system            (or: bash test/system/run.sh)
#
# Expects dist/kube-lb-agent_*_amd64.deb; builds it (npm run build && npm run
# deb) when it is missing or older than the sources. Environment:
#   SYSTEST_DEB=path        test this .deb instead (no build)
#   SYSTEST_CACHE=dir       image cache, lock and last run (default /var/cache/kube-lb-agent-systest)
#   SYSTEST_NO_BUILD=1      never build; fail when the .deb is missing
#   SYSTEST_ONLY=regex      only the checks whose phase/name matches (ERE)
#   SYSTEST_TIMEOUT=secs    hard limit for the VM run (default 1200)
#   SYSTEST_BUILD_TIMEOUT=secs   hard limit for building the base image (default 1500)
#   SYSTEST_SMP=n SYSTEST_MEM=size   VM size (default 2, 1G)
#   SYSTEST_INTERACTIVE=1   boot the image with the console on this terminal, run no checks
#   SYSTEST_DIAG=1          keep the guest's journal of every phase, not only of failing ones
#   SYSTEST_CHECK_TIMEOUT=secs   default limit of one check (120; a check may say `# timeout: N`)
#   SYSTEST_KERNEL_ARGS=... SYSTEST_CPU=model   debugging the VM itself
# See test/system/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Outside the work tree, so that a fresh clone on the same machine (CI) reuses
# the image; SYSTEST_CACHE moves it.
cache=${SYSTEST_CACHE:-/var/cache/kube-lb-agent-systest}
run=$cache/run
vm_timeout=${SYSTEST_TIMEOUT:-1200}
build_timeout=${SYSTEST_BUILD_TIMEOUT:-1500}
t_start=$SECONDS

say() { printf 'systest: %s\n' "$*" >&2; }
die() { say "$*"; printf 'FAIL systest: %s\n0 passed, 1 failed\n' "$*"; exit 1; }

# ---- processes we start are killed by PID, whatever way we leave ----------
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null || true
  done
  # Servers started by host.d hooks write their PIDs here.
  if [[ -s $run/pids ]]; then
    while read -r p; do [[ $p =~ ^[0-9]+$ ]] && kill -TERM "$p" 2>/dev/null || true; done < "$run/pids"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools: installed with apt when missing (CI starts from a fresh machine) --
ensure_tools() {
  local -A need=([debootstrap]=debootstrap [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils
                 [mkfs.ext4]=e2fsprogs [debugfs]=e2fsprogs [dpkg-deb]=dpkg [flock]=util-linux)
  local missing=() cmd
  for cmd in "${!need[@]}"; do command -v "$cmd" > /dev/null || missing+=("${need[$cmd]}"); done
  [[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
  ((${#missing[@]} == 0)) && return
  (( EUID == 0 )) || die "missing tools (${missing[*]}) and not root to install them"
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q > "$cache/apt.log" 2>&1 &&
    apt-get install -y -q --no-install-recommends "${missing[@]}" ipxe-qemu >> "$cache/apt.log" 2>&1 ||
    { tail -n 20 "$cache/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# ---- the package under test ---------------------------------------------------
# Sets $deb.
find_deb() {
  if [[ -n ${SYSTEST_DEB:-} ]]; then
    [[ -f $SYSTEST_DEB ]] || die "SYSTEST_DEB=$SYSTEST_DEB: no such file"
    deb=$(realpath "$SYSTEST_DEB"); return
  fi
  deb=$(ls -1t "$repo"/dist/kube-lb-agent_*_amd64.deb 2>/dev/null | head -n 1 || true)
  local why=
  if [[ -z $deb ]]; then
    why="no dist/kube-lb-agent_*_amd64.deb"
  else
    local newer
    newer=$(cd "$repo" && find src scripts packaging systemd debian patches package.json package-lock.json \
      -newer "$deb" -type f -print -quit 2>/dev/null || true)
    [[ -n $newer ]] && why="$(basename "$deb") is older than $newer"
  fi
  if [[ -n $why ]]; then
    [[ -n ${SYSTEST_NO_BUILD:-} ]] && die "$why (SYSTEST_NO_BUILD is set)"
    say "$why: running npm run build && npm run deb"
    (cd "$repo" && npm run build && npm run deb) >&2 || die "building the .deb failed"
    deb=$(ls -1t "$repo"/dist/kube-lb-agent_*_amd64.deb 2>/dev/null | head -n 1 || true)
    [[ -n $deb ]] || die "npm run deb produced no dist/kube-lb-agent_*_amd64.deb"
  fi
}

# ---- the base image, cached under a hash of its recipe -----------------------
image_key() {
  (cd "$here/image" && find . -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum; find . -type f -perm -u+x | LC_ALL=C sort) | sha256sum | cut -c 1-16
}

# Sets $img.
ensure_image() {
  local key dir
  key=$(image_key); dir=$cache/image-$key
  if [[ -s $dir/root.img && -s $dir/vmlinuz && -s $dir/initrd.img ]]; then
    say "base image cached: ${dir#"$repo"/}"
  else
    (( EUID == 0 )) || die "building the base image needs root (debootstrap, chroot)"
    say "building the base image ${dir#"$repo"/} (debootstrap; about 2 minutes)"
    local t=$SECONDS
    rm -rf "$dir"
    timeout -k 10 "$build_timeout" bash "$here/image/build.sh" "$dir" >&2 ||
      { rm -rf "$dir"; die "building the base image failed or took more than ${build_timeout}s"; }
    say "base image built in $((SECONDS - t))s"
    # Older recipes' images are of no further use.
    find "$cache" -maxdepth 1 -name 'image-*' ! -name "image-$key" -exec rm -rf {} +
  fi
  img=$dir
}

# Every Depends of the .deb should be in the image: the VM has no network.
check_deps_offline() {
  local deb=$1 have=$2 group alt name ok missing=()
  IFS=',' read -ra groups <<< "$(dpkg-deb -f "$deb" Depends),$(dpkg-deb -f "$deb" Pre-Depends)"
  for group in "${groups[@]}"; do
    [[ -z ${group// /} ]] && continue
    ok=
    IFS='|' read -ra alts <<< "$group"
    for alt in "${alts[@]}"; do
      name=$(sed 's/^[[:space:]]*//; s/[[:space:](:].*//' <<< "$alt")
      awk -v n="$name" '{ gsub(/\([^)]*\)/, ""); gsub(/,/, " ") } { for (i = 1; i <= NF; i++) if (i != 2 && $i == n) f = 1 } END { exit !f }' "$have" &&
        { ok=1; break; }
    done
    [[ -n $ok ]] || missing+=("$(xargs <<< "$group")")
  done
  ((${#missing[@]} == 0)) ||
    say "WARNING: the image lacks dependencies of $(basename "$deb"): ${missing[*]} — add them to image/build.sh"
}

# ---- the payload disk: runner, checks, fixtures, packages -------------------
build_payload() {
  local deb=$1 p=$run/payload
  mkdir -p "$p/debs" "$p/checks"
  cp -r "$here/guest" "$here/fixtures" "$p/"
  cp "$deb" "$p/debs/"
  local f rel
  while IFS= read -r f; do
    rel=${f#"$here/checks/"}
    [[ -n ${SYSTEST_ONLY:-} ]] && ! grep -Eq -- "$SYSTEST_ONLY" <<< "${rel%.sh}" && continue
    mkdir -p "$p/checks/$(dirname "$rel")"
    cp "$f" "$p/checks/$rel"
    echo "${rel%.sh}" >> "$run/expected"
  done < <(find "$here/checks" -mindepth 2 -maxdepth 2 -type f -name '*.sh' | LC_ALL=C sort)
  [[ -s $run/expected ]] || die "no checks selected (SYSTEST_ONLY=${SYSTEST_ONLY:-})"
  local v
  printf 'export SYSTEST_DEB_NAME=%q\n' "$(basename "$deb")" > "$p/settings"
  for v in SYSTEST_DIAG SYSTEST_CHECK_TIMEOUT; do
    [[ -n ${!v:-} ]] && printf 'export %s=%q\n' "$v" "${!v}" >> "$p/settings"
  done
  # Host-side servers for the guest (see host.d/README in README.md).
  for f in "$here"/host.d/*.sh; do
    [[ -f $f ]] || continue
    SYSTEST_RUN=$run SYSTEST_PAYLOAD=$p SYSTEST_DEB=$deb bash "$f" >> "$run/host.log" 2>&1 ||
      die "host hook $(basename "$f") failed: $(tail -n 5 "$run/host.log")"
  done
  local mb
  mb=$(du -sm "$p" | cut -f1)
  mkfs.ext4 -q -F -L SYSTEST -d "$p" "$run/payload.img" "$((mb + 256))M" > /dev/null
}

# ---- boot and watch ---------------------------------------------------------
qemu_args() {
  local img=$1 nic="user,model=virtio-net-pci,restrict=on,ipv6=off" g h
  # Each forward: the guest's 10.0.2.100:GUESTPORT reaches 127.0.0.1:HOSTPORT on
  # the host; qemu runs forward.mjs once per guest connection.
  if [[ -s $run/forwards ]]; then
    while read -r g h; do
      nic+=",guestfwd=tcp:10.0.2.100:$g-cmd:node '${here//,/,,}/forward.mjs' $h"
    done < "$run/forwards"
  fi
  local console=(-serial "file:$run/console.log")
  [[ -n ${SYSTEST_INTERACTIVE:-} ]] && console=(-serial mon:stdio)
  printf '%s\0' -nodefaults -no-user-config -display none \
    -accel tcg -cpu "${SYSTEST_CPU:-max}" -smp "${SYSTEST_SMP:-2}" -m "${SYSTEST_MEM:-1G}" \
    -kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 loglevel=4 net.ifnames=0 systemd.show_status=1 panic=-1 cryptomgr.notests ${SYSTEST_KERNEL_ARGS:-}" \
    -drive "file=$run/root.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap" \
    -drive "file=$run/payload.img,if=virtio,format=raw" \
    -device virtio-rng-pci -nic "$nic" \
    "${console[@]}" -serial "file:$run/results.log"
}

main() {
  mkdir -p "$cache"
  ensure_tools
  exec 9> "$cache/lock"
  local t_lock=$SECONDS
  flock -n 9 || { say "waiting for another system test run (lock $cache/lock)"; flock -w 3600 9 || die "another system test holds $cache/lock"; }
  t_lock=$((SECONDS - t_lock))

  local deb img
  find_deb
  say "package under test: ${deb#"$repo"/} ($(dpkg-deb -f "$deb" Version))"
  local t_image=$SECONDS
  ensure_image
  t_image=$((SECONDS - t_image))
  check_deps_offline "$deb" "$img/packages.txt"

  rm -rf "$run"; mkdir -p "$run"
  qemu-img create -q -f qcow2 -F raw -b "$img/root.img" "$run/root.qcow2"
  if [[ -n ${SYSTEST_INTERACTIVE:-} ]]; then
    build_payload "$deb"; rm -f "$run/payload/guest/runner.sh"
    local p=$run/payload; mkfs.ext4 -q -F -L SYSTEST -d "$p" "$run/payload.img" 512M
    say "interactive: root shell on the console; 'poweroff' (or Ctrl-A x) to leave"
    mapfile -d '' args < <(qemu_args "$img")
    qemu-system-x86_64 "${args[@]}"
    exit 0
  fi
  build_payload "$deb"
  : > "$run/results.log"

  mapfile -d '' args < <(qemu_args "$img")
  local t_vm=$SECONDS
  qemu-system-x86_64 "${args[@]}" > "$run/qemu.log" 2>&1 &
  local qpid=$!
  pids+=("$qpid")
  say "VM started (qemu pid $qpid, TCG, limit ${vm_timeout}s); console: ${run#"$repo"/}/console.log"

  # Print results as they arrive; stop at poweroff, or at the hard limit.
  local seen=0 line lines timed_out= rc=0
  show_new() {
    # Complete lines only: qemu may have written half of one so far.
    local complete
    complete=$(wc -l < "$run/results.log")
    ((complete > seen)) || return 0
    mapfile -t lines < <(sed -n "$((seen + 1)),${complete}p" "$run/results.log" | tr -d '\r')
    for line in "${lines[@]}"; do
      seen=$((seen + 1))
      case $line in
        PASS\ *|FAIL\ *|NOTE\ *) printf '%s\n' "$line" ;;
        PHASE\ *) say "phase ${line#PHASE } (+$((SECONDS - t_vm))s)" ;;
        BOOT\ *) say "guest boot ${line#BOOT } up (+$((SECONDS - t_vm))s)" ;;
      esac
    done
  }
  while kill -0 "$qpid" 2>/dev/null; do
    show_new
    if ((SECONDS - t_vm > vm_timeout)); then timed_out=1; break; fi
    sleep 1
  done
  if [[ -n $timed_out ]]; then
    kill -TERM "$qpid" 2>/dev/null; sleep 2; kill -KILL "$qpid" 2>/dev/null || true
  fi
  wait "$qpid" 2>/dev/null || rc=$?
  show_new
  t_vm=$((SECONDS - t_vm))

  # Read the guest's logs back from the payload disk.
  debugfs -R "rdump /out $run" "$run/payload.img" > /dev/null 2>&1 || true

  # Score: every result line, plus a failure for each check that never ended
  # and for a run that never finished.
  local passed failed
  passed=$(grep -c '^PASS ' <(tr -d '\r' < "$run/results.log") || true)
  failed=$(grep -c '^FAIL ' <(tr -d '\r' < "$run/results.log") || true)
  local c
  while read -r c; do
    grep -q "^END $c rc=" <(tr -d '\r' < "$run/results.log") && continue
    printf 'FAIL %s: no result (the VM never finished this check)\n' "$c"; failed=$((failed + 1))
  done < "$run/expected"
  if ! grep -qx 'ALLDONE' <(tr -d '\r' < "$run/results.log"); then
    if [[ -n $timed_out ]]; then
      printf 'FAIL systest: the VM run took more than %ss (killed)\n' "$vm_timeout"
    else
      printf 'FAIL systest: the VM stopped before the last phase ended (qemu exit %s; see %s)\n' "$rc" "${run#"$repo"/}/console.log"
    fi
    failed=$((failed + 1))
  fi

  if ((failed > 0)); then
    say "logs: ${run#"$repo"/}/{console.log,results.log,out/<phase>/<check>.log,out/<phase>/journal.txt}"
    local name log
    while read -r name; do
      log=$run/out/$name.log
      [[ -s $log ]] || continue
      say "---- tail of out/$name.log"
      tail -n 15 "$log" | sed 's/^/  /' >&2
    done < <(tr -d '\r' < "$run/results.log" |
             awk '/^BEGIN /{c=$2} /^FAIL /{if (c != "") print c} /^END /{c=""}' | uniq)
  fi
  say "timings: image ${t_image}s, VM ${t_vm}s, total $((SECONDS - t_start))s (of which ${t_lock}s waiting for the lock)"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0))
}

main "$@"
