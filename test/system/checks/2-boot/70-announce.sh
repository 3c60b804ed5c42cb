# timeout: 180
# The agent as an operator sets it up: a kubeconfig for the cluster's API
# server (the test API server on the host, host.d/apiserver.sh), a pool, and
# method "both" (routes in table 198 and addresses on kube-lb0); then it
# announces the dual-stack Service default/web for real, renews its Lease,
# and holds logind's shutdown delay lock.
check_eq api-reachable-from-guest "$(api_status /api/v1/nodes/systest 2>&1)" 200
install -m 0640 -o root -g kube-lb-agent "$(fixture kubeconfig)" /etc/kube-lb-agent/kubeconfig
cat > /etc/kube-lb-agent/config.toml <<'TOML'
# The system test's configuration (checks/2-boot/70-announce.sh).
[kubernetes]
kubeconfig = "/etc/kube-lb-agent/kubeconfig"

[routing]
method = "both"

[pools.systest]
cidrs = ["192.0.2.0/24", "2001:db8:100::/64"]
TOML
cp /etc/kube-lb-agent/config.toml /var/lib/systest-config.toml   # for checks that break it and put it back
check check-config kube-lb-agent check-config
check agent-restart-with-config systemctl restart kube-lb-agent.service
if wait_until 120 announced; then pass announced-v4-v6-routes-and-addresses
else fail announced-v4-v6-routes-and-addresses "table 198: $(ours_routes); kube-lb0: $(kube_lb0_addresses); journal: $(journalctl -b -u kube-lb-agent -n 15 -o cat)"; fi
routes=$(ours_routes)
printf 'table 198 (ours):\n%s\nkube-lb0: %s\n' "$routes" "$(kube_lb0_addresses | xargs)"
check_match announced-route-v4 "$routes" "^${LB4//./\\.} dev kube-lb0 proto (201|kube-lb) "
check_match announced-route-v6 "$routes" "^$LB6 dev kube-lb0 proto (201|kube-lb) "
check agent-readyz wait_until 60 agent_ready
status=$(kube-lb-agent status 2>&1)
printf '%s\n' "$status"
check_match status-shows-announced "$status" '^ +192\.0\.2\.10/32 +systest +default/web$'

# Its Lease, in the API server.
wait_until 30 lease_present
lease=$(api "$LEASE_PATH" 2>&1)
printf 'lease: %s\n' "$lease"
check_match lease-held-by-systest "$lease" '"holderIdentity": ?"[^"]*systest'

# logind's delay lock, taken by the agent's user through systemd-inhibit
# (needs polkitd, the package's Recommends).
if wait_until 30 bash -c "systemd-inhibit --list --no-pager | grep -E 'kube-lb-agent.*shutdown.*delay'"; then pass inhibitor-delay-lock-held
else fail inhibitor-delay-lock-held "$(systemd-inhibit --list --no-pager 2>&1); journal: $(journalctl -b -u kube-lb-agent -o cat | grep -i inhibit | tail -n 3)"; fi
systemd-inhibit --list --no-pager
