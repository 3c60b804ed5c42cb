# `kube-lb-agent cleanup` on the real system: it removes the agent's routes
# (its protocol in its table) and the addresses on kube-lb0, prints each, and
# leaves everything else; --remove-interface also deletes kube-lb0.
check agent-stopped systemctl stop kube-lb-agent.service
ip link add other0 type dummy && ip link set other0 up
ip route add 203.0.113.1/32 dev kube-lb0 table 198 proto 201
ip -6 route add 2001:db8:113::1/128 dev kube-lb0 table 198 proto 201
ip route add 203.0.113.2/32 dev other0 table 198 proto 248
ip route add 203.0.113.3/32 dev other0 proto 201
ip addr add 203.0.113.10/32 dev kube-lb0
ip addr add 203.0.113.20/32 dev other0
out=$(kube-lb-agent cleanup 2>&1); rc=$?
printf '%s\n' "$out"
check_eq cleanup-exit-0 "$rc" 0
check_match cleanup-printed-route "$out" '^removed route 203\.0\.113\.1/32 table 198 proto 201 metric 0$'
check_match cleanup-printed-v6-route "$out" '^removed route 2001:db8:113::1/128 table 198 proto 201 metric 1024$'
check_match cleanup-printed-address "$out" '^removed address 203\.0\.113\.10/32 dev kube-lb0$'
check_match cleanup-summary "$out" '^cleanup: removed 2 routes \(table 198, proto 201\), 1 address \(kube-lb0\)$'
check_no_match cleanup-ours-gone "$(ip -4 route show table 198; ip -6 route show table 198)" ' proto (201|kube-lb)( |$)'
check_match cleanup-kept-other-protocol "$(ip -4 route show table 198)" '^203\.0\.113\.2 dev other0 proto 248 '
check_match cleanup-kept-main-table "$(ip -4 route show)" '^203\.0\.113\.3 dev other0 proto (201|kube-lb) '
check_match cleanup-kept-other-interface "$(ip -4 -o addr show dev other0)" '203\.0\.113\.20/32'
out=$(kube-lb-agent cleanup --remove-interface 2>&1); rc=$?
printf '%s\n' "$out"
check_eq cleanup-remove-interface-exit-0 "$rc" 0
check_match cleanup-removed-interface "$out" '^removed interface kube-lb0$'
check_not kube-lb0-gone ip link show kube-lb0
check other0-still-there ip link show other0
ip link del other0
# The purge that follows must not depend on the agent running.
