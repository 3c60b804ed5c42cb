# The project's test API server (test/apiserver/) on the host's loopback,
# forwarded to the guest as 10.0.2.100:6443, with a small cluster the agent in
# the VM announces from: the Node "systest" (the VM's host name, which the
# agent uses as its node name), Ready; a dual-stack LoadBalancer Service
# default/web with ingress IPs 192.0.2.10 and 2001:db8:100::10 and a ready
# endpoint of each family. The guest gets a kubeconfig for the forwarded
# address (fixtures/kubeconfig), the CA (fixtures/apiserver-ca.pem) and, in
# settings, the token for curl.
#
# The server runs on the run's own Node 24 (node_modules/.bin/node of this
# checkout). It stops at EOF on stdin, so stdin is a fifo held open by a
# `sleep`; both PIDs go to $SYSTEST_RUN/pids, killed when the run ends.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
node=$repo/node_modules/.bin/node
[[ -x $node ]] || { echo "apiserver: $node is missing (npm ci)" >&2; exit 1; }
guest_port=6443
run=$SYSTEST_RUN
fixtures=$SYSTEST_PAYLOAD/fixtures

objects=$run/apiserver-objects.json
"$node" -e '
  const ip = (a) => ({ addresses: [a], conditions: { ready: true, serving: true, terminating: false }, nodeName: "systest" });
  const slice = (family, addr) => ({
    apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
    metadata: { name: `web-${family.toLowerCase()}`, namespace: "default",
      labels: { "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" } },
    addressType: family, endpoints: [ip(addr)], ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  });
  const items = [
    { apiVersion: "v1", kind: "Node",
      metadata: { name: "systest", labels: { "kubernetes.io/hostname": "systest", "kubernetes.io/os": "linux" } },
      spec: {},
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" }],
        addresses: [{ type: "InternalIP", address: "10.0.2.15" }, { type: "Hostname", address: "systest" }] } },
    { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "default" },
      spec: { type: "LoadBalancer", ipFamilyPolicy: "PreferDualStack", ipFamilies: ["IPv4", "IPv6"],
        ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }], selector: { app: "web" } },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.10", ipMode: "VIP" }, { ip: "2001:db8:100::10", ipMode: "VIP" }] } } },
    slice("IPv4", "10.244.0.10"),
    slice("IPv6", "fd00:10:244::10"),
  ];
  require("node:fs").writeFileSync(process.argv[1], JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 1));
' "$objects"

fifo=$run/apiserver.stdin
rm -f "$fifo"; mkfifo "$fifo"
# The writer first (its open blocks until the server opens the fifo to read).
sleep infinity > "$fifo" &
echo $! >> "$run/pids"
"$node" "$repo/test/apiserver/main.ts" --cert-name 10.0.2.100 --objects "$objects" \
  < "$fifo" > "$run/apiserver.out" 2> "$run/apiserver.log" &
api_pid=$!
echo "$api_pid" >> "$run/pids"
# The first stdout line is the ready event (the CA is made with openssl first).
for _ in $(seq 600); do
  [[ -s $run/apiserver.out ]] && head -n 1 "$run/apiserver.out" | grep -q '"event":"ready"' && break
  kill -0 "$api_pid" 2>/dev/null || { echo "apiserver: exited: $(tail -n 5 "$run/apiserver.log")" >&2; exit 1; }
  sleep 0.1
done
head -n 1 "$run/apiserver.out" | grep -q '"event":"ready"' || { echo "apiserver: no ready event within 60 s" >&2; exit 1; }

# kubeconfig, CA and token for the guest, and the forward.
head -n 1 "$run/apiserver.out" | "$node" -e '
  const fs = require("node:fs");
  const [fixtures, settings, guestPort, forwards] = process.argv.slice(1);
  const r = JSON.parse(fs.readFileSync(0, "utf8"));
  fs.writeFileSync(`${fixtures}/apiserver-ca.pem`, r.caPem);
  const ca = Buffer.from(r.caPem).toString("base64");
  fs.writeFileSync(`${fixtures}/kubeconfig`, [
    "apiVersion: v1", "kind: Config", "current-context: systest",
    "clusters:", "- name: systest", "  cluster:", `    server: https://10.0.2.100:${guestPort}`, `    certificate-authority-data: ${ca}`,
    "users:", "- name: kube-lb-agent", "  user:", `    token: ${r.token}`,
    "contexts:", "- name: systest", "  context:", "    cluster: systest", "    user: kube-lb-agent", "",
  ].join("\n"));
  fs.appendFileSync(settings, `export SYSTEST_API=https://10.0.2.100:${guestPort}\nexport SYSTEST_API_TOKEN=${r.token}\n`);
  fs.appendFileSync(forwards, `${guestPort} ${r.port}\n`);
' "$fixtures" "$SYSTEST_PAYLOAD/settings" "$guest_port" "$run/forwards"
echo "apiserver: pid $api_pid, forwarded to 10.0.2.100:$guest_port"
