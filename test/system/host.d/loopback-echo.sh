# Harness self-test of the one way out of the VM: a server on the host's
# loopback, forwarded to the guest as 10.0.2.100:8080 (checks/1-install/01-host-forward.sh).
#
# A host.d hook runs before the VM boots, with SYSTEST_RUN (the run directory)
# and SYSTEST_PAYLOAD (files for the guest's /systest). It starts its server in
# the background, appends the server's PID to $SYSTEST_RUN/pids (killed when
# the run ends) and "GUESTPORT HOSTPORT" to $SYSTEST_RUN/forwards.
set -euo pipefail
token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token" > "$SYSTEST_PAYLOAD/fixtures/loopback-echo.token"
portfile=$SYSTEST_RUN/loopback-echo.port
node -e '
  const http = require("node:http");
  const s = http.createServer((req, res) => res.end(process.argv[1] + "\n"));
  s.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[2], String(s.address().port)));
' "$token" "$portfile" > "$SYSTEST_RUN/loopback-echo.log" 2>&1 &
echo $! >> "$SYSTEST_RUN/pids"
for _ in $(seq 50); do [[ -s $portfile ]] && break; sleep 0.1; done
[[ -s $portfile ]] || { echo "loopback-echo: server did not start" >&2; exit 1; }
echo "8080 $(cat "$portfile")" >> "$SYSTEST_RUN/forwards"
