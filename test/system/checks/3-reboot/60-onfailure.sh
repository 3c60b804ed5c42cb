# timeout: 240
# The agent fails for good the way an operator makes it fail: a typo in
# config.toml, then `systemctl restart`. The restart job keeps the routes
# (the old process cannot know), the new start's boot phase exits 3 (bad
# configuration, which RestartPreventExitStatus= does not retry), the unit
# fails (after systemd's retries, see below), and OnFailure= runs
# kube-lb-agent-cleanup.service. With the broken
# configuration, cleanup falls back to the kernel settings the boot phase
# recorded, says so, and withdraws: no route of ours left in table 198, no
# address on kube-lb0, everything else untouched.
wait_until 120 announced || { fail onfailure-precondition-announced "table 198: $(ours_routes); kube-lb0: $(kube_lb0_addresses)"; exit 0; }
check onfailure-kernel-settings-recorded grep -q '"table":198,"protocol":201,"interfaceName":"kube-lb0"' /var/lib/kube-lb-agent/kernel.json
# Not ours: another protocol in table 198, our protocol in the main table.
ip link add other0 type dummy && ip link set other0 up
ip route add 203.0.113.60/32 dev other0 table 198 proto 248
ip route add 203.0.113.61/32 dev other0 proto 201
cursor=$(journal_cursor)
printf '\n[routing\nmethod = "both"\n' >> /etc/kube-lb-agent/config.toml    # the typo: a header without its ]
check_not onfailure-restart-fails systemctl restart kube-lb-agent.service
# Exit 3 is in RestartPreventExitStatus=, but systemd 252 applies that to the
# main process only: a failing ExecStartPre= is retried (RestartSec=3s) until
# the start limit (StartLimitBurst=5) — about half a minute — and then the unit
# fails for good. The check accepts either (NRestarts is printed).
check onfailure-unit-failed wait_until 180 unit_is kube-lb-agent.service failed
echo "Result=$(prop kube-lb-agent Result) NRestarts=$(prop kube-lb-agent NRestarts)"
check_match onfailure-result "$(prop kube-lb-agent Result)" '^(exit-code|start-limit-hit)$'
since=$(journal_since "$cursor")
check_match onfailure-boot-exit-3 "$since" 'status=3/'
check_match onfailure-boot-named-the-typo "$since" 'config\.toml:[0-9]+:'
# The cleanup unit ran (oneshot: inactive again once done) and succeeded.
check onfailure-cleanup-ran wait_until 90 bash -c "journalctl -u kube-lb-agent-cleanup -o cat --after-cursor='$cursor' | grep -q '^cleanup: removed'"
cleanup_log=$(journalctl -u kube-lb-agent-cleanup -o cat --after-cursor="$cursor")
printf -- '--- kube-lb-agent-cleanup.service:\n%s\n' "$cleanup_log"
check_eq onfailure-cleanup-succeeded "$(prop kube-lb-agent-cleanup Result)" success
check_match onfailure-cleanup-fell-back "$cleanup_log" 'configuration cannot be used .*config\.toml:[0-9]+:.*recorded in /var/lib/kube-lb-agent/kernel\.json \(table 198, protocol 201, interface kube-lb0\)'
check_match onfailure-cleanup-removed-v4 "$cleanup_log" "^removed route ${LB4//./\\.}/32 table 198 proto 201 "
check_match onfailure-cleanup-removed-v6 "$cleanup_log" "^removed route $LB6/128 table 198 proto 201 "
check_match onfailure-cleanup-summary "$cleanup_log" '^cleanup: removed 2 routes \(table 198, proto 201\), 2 addresses \(kube-lb0\)$'
check_eq onfailure-table-198-none-of-ours "$(ours_routes)" ""
check_eq onfailure-kube-lb0-no-addresses "$(kube_lb0_addresses)" ""
check_match onfailure-kept-other-protocol "$(ip -4 route show table 198)" '^203\.0\.113\.60 dev other0 proto 248 '
check_match onfailure-kept-main-table "$(ip -4 route show)" '^203\.0\.113\.61 dev other0 proto (201|kube-lb) '
ip link del other0

# The operator fixes the typo: the agent starts and announces again.
cp /var/lib/systest-config.toml /etc/kube-lb-agent/config.toml
systemctl reset-failed kube-lb-agent.service
check onfailure-fixed-start systemctl start kube-lb-agent.service
check onfailure-fixed-announced wait_until 120 announced
