# Helpers for checks; the runner sources this before each check script.
# A check prints one line per result: `PASS name` or `FAIL name: detail`.
# Everything else it prints lands in its log (out/<phase>/<check>.log).

pass() { printf 'PASS %s\n' "$1"; }
fail() { local name=$1; shift; printf 'FAIL %s: %s\n' "$name" "$(oneline "$*")"; }

# Squeeze text onto one bounded line for a FAIL detail.
oneline() { printf '%s' "$*" | tr '\n\t' '  ' | tr -s ' ' | cut -c 1-400; }

# check NAME CMD...        PASS when CMD exits 0; else FAIL with its exit code and output.
check() {
  local name=$1 out rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    | /'
  if ((rc == 0)); then pass "$name"; else fail "$name" "\`$*\` exited $rc: $out"; fi
  return "$rc"
}

# check_not NAME CMD...    PASS when CMD fails.
check_not() {
  local name=$1 out rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/    | /'
  if ((rc != 0)); then pass "$name"; else fail "$name" "\`$*\` succeeded: $out"; return 1; fi
}

# check_eq NAME ACTUAL EXPECTED
check_eq() {
  if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; return 1; fi
}

# check_match NAME TEXT ERE        PASS when some line of TEXT matches the regex.
check_match() {
  if grep -Eq -- "$3" <<< "$2"; then pass "$1"; else fail "$1" "no line matches /$3/ in: $2"; return 1; fi
}

# check_no_match NAME TEXT ERE     PASS when no line of TEXT matches.
check_no_match() {
  local hit
  if hit=$(grep -E -m 3 -- "$3" <<< "$2"); then fail "$1" "/$3/ matches: $hit"; return 1; else pass "$1"; fi
}

# wait_until SECONDS CMD...  retry CMD (quietly) every 0.5 s until it succeeds or time is up.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" > /dev/null 2>&1; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.5
  done
}

# prop UNIT PROPERTY       one property of a unit, e.g. `prop kube-lb-agent ActiveState`
prop() { systemctl show -P "$2" "$1"; }

# as_user USER CMD...      run CMD as USER (no login shell, no PAM session)
as_user() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --init-groups --reset-env -- "$@"; }

# The .deb under test (other packages a host.d hook adds sit beside it in
# $SYSTEST_DIR/debs/), and fixtures.
deb() { [[ -f $SYSTEST_DIR/debs/$SYSTEST_DEB_NAME ]] && printf '%s' "$SYSTEST_DIR/debs/$SYSTEST_DEB_NAME"; }
fixture() { printf '%s/%s' "$SYSTEST_FIXTURES" "$1"; }

# Hand a value to a check in a later phase (the state survives reboots).
record() { printf '%s\n' "$2" > "$SYSTEST_STATE/$1"; }
recall() { cat "$SYSTEST_STATE/$1" 2>/dev/null; }

# What the stand-in kubelet saw when it started in this boot (see
# fixtures/kubelet-standin): `standin FILE`, e.g. `standin ip-link.txt`.
standin() { cat "/var/lib/systest-kubelet/$(cat /proc/sys/kernel/random/boot_id)/$1" 2>/dev/null; }
