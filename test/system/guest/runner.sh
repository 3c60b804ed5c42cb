#!/bin/bash
# Guest side of the system test. systest.service starts this at every boot of
# the VM; it runs the next phase (checks/<phase>/*.sh in name order), then
# reboots into the following phase, or powers off after the last one.
#
# The payload disk (/systest) carries this script, the checks, the fixtures and
# the packages, and keeps the runner's state across reboots. Results go to the
# second serial port, one line each, which the host reads as the protocol:
#   BOOT n | PHASE p | BEGIN p/c | PASS name | FAIL name: detail | NOTE text
#   END p/c rc=N | ALLDONE
set -uo pipefail

S=/systest
export SYSTEST_DIR=$S
export SYSTEST_LIB=$S/guest/lib.sh
export SYSTEST_FIXTURES=$S/fixtures
export SYSTEST_STATE=$S/state/checks          # for checks that hand data to a later phase
export SYSTEST_HOST=10.0.2.100                 # where host.d servers are forwarded
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8
state=$S/state
chan=/dev/ttyS1
# Settings passed from the host's environment (run.sh writes them).
[[ -r $S/settings ]] && . "$S/settings"
mkdir -p "$state/checks" "$S/out"
stty -F "$chan" raw -echo 2>/dev/null || true

emit() { printf '%s\n' "$*" >> "$chan"; printf 'systest: %s\n' "$*"; }
persist() { sync -f "$state" 2>/dev/null || sync; }

boot=$(( $(cat "$state/boots" 2>/dev/null || echo 0) + 1 ))
echo "$boot" > "$state/boots"
emit "BOOT $boot"

# Checks start on a settled system: every boot job done (this unit is Type=exec,
# so it does not hold the boot up itself).
sysstate=$(timeout 300 systemctl is-system-running --wait 2>&1)
if [[ $sysstate != running ]]; then
  emit "NOTE boot $boot: system is '$sysstate'; failed units: $(systemctl list-units --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')"
fi

# A check line in its file like `# timeout: 300` raises its limit (seconds).
check_timeout() { sed -n 's/^# *timeout: *\([0-9]\+\).*/\1/p' "$1" | head -n 1 | grep . || echo "${SYSTEST_CHECK_TIMEOUT:-120}"; }

run_check() {
  local phase=$1 file=$2 name=$1/${2%.sh} limit rc results=0 failed=0 line
  local log=$S/out/$phase/${file%.sh}.log
  limit=$(check_timeout "$S/checks/$phase/$file")
  emit "BEGIN $name"
  echo "$name" > "$state/current"; persist
  export SYSTEST_PHASE=$phase SYSTEST_OUT=$S/out/$phase
  # timeout puts the check in a process group of its own: whatever the check
  # leaves running is killed when it ends (systemd-run outlives it on purpose).
  (cd /tmp && exec timeout -k 10 "$limit" bash -c '. "$SYSTEST_LIB" && . "$1"' "$name" "$S/checks/$phase/$file") \
    > "$log" 2>&1 < /dev/null &
  local pid=$!
  wait "$pid"; rc=$?
  kill -KILL -- "-$pid" 2>/dev/null
  while IFS= read -r line; do
    case $line in
      PASS\ *) emit "$line"; results=$((results + 1)) ;;
      FAIL\ *) emit "$line"; results=$((results + 1)); failed=$((failed + 1)) ;;
    esac
  done < "$log"
  if [[ $rc == 124 || $rc == 137 ]]; then
    emit "FAIL $name: timed out after ${limit}s (see out/$phase/${file%.sh}.log)"
  elif ((results == 0)); then
    emit "FAIL $name: produced no PASS/FAIL line (exit $rc)"
  elif [[ $rc != 0 ]] && ((failed == 0)); then
    emit "FAIL $name: exited $rc after its checks passed"
  fi
  [[ $rc == 0 ]] && ((failed == 0 && results > 0)) || touch "$state/failed"
  rm -f "$state/current"
  emit "END $name rc=$rc"
  persist
}

mapfile -t phases < <(cd "$S/checks" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort)
for phase in "${phases[@]}"; do
  [[ -e $state/$phase.done ]] && continue
  mkdir -p "$S/out/$phase"
  if [[ -e $state/$phase.started ]]; then
    # A reboot nobody asked for happened in this phase (a check rebooted the
    # VM, or the kernel did): the running check fails, the rest still run.
    if [[ -e $state/current ]]; then
      emit "FAIL $(cat "$state/current"): the VM rebooted while it ran"
      touch "$state/failed"
      emit "END $(cat "$state/current") rc=reboot"
      rm -f "$state/current"
    fi
  else
    emit "PHASE $phase"
    touch "$state/$phase.started"
  fi
  mapfile -t files < <(cd "$S/checks/$phase" && find . -maxdepth 1 -type f -name '*.sh' -printf '%f\n' | LC_ALL=C sort)
  for file in "${files[@]}"; do
    [[ -e $state/$phase.$file.done ]] && continue
    touch "$state/$phase.$file.done"
    run_check "$phase" "$file"
  done
  # What a failure needs explained, read back to the host (SYSTEST_DIAG=1: always).
  if [[ -e $state/failed || -n ${SYSTEST_DIAG:-} ]]; then
    journalctl -o short-monotonic --no-pager > "$S/out/$phase/journal.txt" 2>&1
    systemctl list-units --all --no-pager > "$S/out/$phase/units.txt" 2>&1
    { systemd-analyze time; systemd-analyze blame | head -n 25; } > "$S/out/$phase/boot-time.txt" 2>&1
  fi
  touch "$state/$phase.done"
  persist
  if [[ $phase != "${phases[-1]}" ]]; then
    echo "systest: rebooting into the next phase"
    systemctl --no-block reboot
    exit 0
  fi
done

emit ALLDONE
persist
systemctl --no-block poweroff
