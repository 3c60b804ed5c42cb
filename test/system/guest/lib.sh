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

# ---- watching the kernel while something happens -----------------------------
# monitor_start FILE     `ip -ts monitor route address` into FILE in the
#                        background; returns once it has seen a sentinel of its
#                        own, so nothing done afterwards can be missed.
# monitor_flush FILE     another sentinel: once it is in FILE, so is every
#                        change made before it. Then the monitor is stopped.
# ours_deleted FILE      the deletions FILE recorded of anything of ours:
#                        routes in table 198, addresses and routes on kube-lb0.
MONITOR_SENTINEL=0
monitor_start() {
  : > "$1"
  ip -ts monitor route address > "$1" 2>&1 &
  MONITOR_PID=$!
  monitor_mark "$1"
}
monitor_mark() {
  local ip=203.0.113.$((250 - MONITOR_SENTINEL)) deadline=$((SECONDS + 30))
  MONITOR_SENTINEL=$((MONITOR_SENTINEL + 1))
  until grep -Eq "blackhole ${ip//./\\.} table 197" "$1"; do
    ((SECONDS >= deadline)) && { echo "monitor: sentinel $ip never seen"; return 1; }
    ip route add blackhole "$ip/32" table 197 2> /dev/null
    ip route del blackhole "$ip/32" table 197 2> /dev/null
    sleep 0.2
  done
}
monitor_flush() {
  monitor_mark "$1"; local rc=$?
  kill "$MONITOR_PID" 2> /dev/null; wait "$MONITOR_PID" 2> /dev/null
  return "$rc"
}
ours_deleted() { grep -E '^\[[^]]*\] Deleted ' "$1" | grep -E 'table (198|kube-lb)\b|\bkube-lb0\b' || true; }

# ---- the agent with the test API server (host.d/apiserver.sh) -----------------
# The Service default/web's IPs the agent announces in the VM.
LB4=192.0.2.10
LB6=2001:db8:100::10
# api PATH [curl args]   a request to the test API server, as the agent's user would make it
api() { local p=$1; shift; curl -sS --max-time 20 --cacert "$(fixture apiserver-ca.pem)" -H "Authorization: Bearer $SYSTEST_API_TOKEN" "$@" "$SYSTEST_API$p"; }
api_status() { api "$1" -o /dev/null -w '%{http_code}'; }
LEASE_PATH=/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-lb-agent-systest
# Functions, so that wait_until evaluates them at every try (a "$(...)" in its
# arguments would be evaluated once, before the first).
lease_present() { [[ $(api_status "$LEASE_PATH") == 200 ]]; }
unit_is() { [[ $(systemctl is-active "$1") == "$2" ]]; }
# What the agent holds in the kernel: its routes in table 198 and the addresses on kube-lb0.
ours_routes() { { ip -4 route show table 198; ip -6 route show table 198; } 2>&1 | grep -E ' proto (201|kube-lb)( |$)'; }
kube_lb0_addresses() { ip -o addr show dev kube-lb0 scope global 2> /dev/null | awk '{print $4}'; }
announced() { ours_routes | grep -q "^$LB4 " && ours_routes | grep -q "^$LB6 " && kube_lb0_addresses | grep -qx "$LB4/32" && kube_lb0_addresses | grep -qx "$LB6/128"; }
withdrawn() { [[ -z $(ours_routes) && -z $(kube_lb0_addresses) ]]; }
# The agent's own account: /readyz answers 200 once synced and converged.
agent_ready() { curl -sf --max-time 5 http://127.0.0.1:20244/readyz > /dev/null; }
# journal_since CURSOR   the agent's log lines after a cursor from journal_cursor
journal_cursor() { journalctl -n 1 -q -o cat --show-cursor 2> /dev/null | sed -n 's/^-- cursor: //p'; }
journal_since() { journalctl -u kube-lb-agent -o cat --after-cursor="$1" 2> /dev/null; }
