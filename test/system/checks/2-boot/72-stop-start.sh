# timeout: 180
# `systemctl stop` is a stop job: the agent deletes its Lease (peers take
# over at once), withdraws its routes and addresses, drains, and exits.
# Then it starts again for the checks that follow.
wait_until 60 announced || { fail stop-precondition-announced "$(ours_routes)"; exit 0; }
check_eq stop-precondition-lease "$(api_status "$LEASE_PATH")" 200
mon=$SYSTEST_OUT/72-monitor.txt
monitor_start "$mon" || { fail stop-monitor-started "$(cat "$mon")"; exit 0; }
cursor=$(journal_cursor)
check stop-job systemctl stop kube-lb-agent.service
monitor_flush "$mon"
printf -- '--- ip monitor during the stop:\n%s\n' "$(cat "$mon")"
check stop-withdrew-all withdrawn
deleted=$(ours_deleted "$mon")
# (When kube-lb0 loses its last IPv4 address the kernel drops the IPv4 routes
# through it without a notification: the v4 withdrawal may show as the address's.)
check_match stop-monitor-saw-v4-withdrawn "$deleted" "Deleted .*${LB4//./\\.}(/32)? "
check_match stop-monitor-saw-v6-withdrawn "$deleted" "Deleted $LB6 dev kube-lb0 table (198|kube-lb) "
check_eq stop-lease-gone "$(api_status "$LEASE_PATH")" 404
since=$(journal_since "$cursor")
check_match stop-job-logged "$since" 'stop job [0-9]+ is stopping kube-lb-agent\.service: withdrawing routes'
check_match stop-drained "$since" '^.*withdrawn; draining'
check_eq stop-unit-inactive "$(systemctl is-active kube-lb-agent.service)" inactive

check start-again systemctl start kube-lb-agent.service
check start-again-announced wait_until 120 announced
check start-again-lease wait_until 30 lease_present
