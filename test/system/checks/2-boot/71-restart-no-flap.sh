# timeout: 180
# `systemctl restart` is a restart job: the old process keeps its routes and
# addresses, the new one adopts them. An `ip monitor` started before records
# no deletion of anything of ours, from before the restart until the new
# process is ready again.
wait_until 60 announced || { fail restart-precondition-announced "$(ours_routes)"; exit 0; }
mon=$SYSTEST_OUT/71-monitor.txt
monitor_start "$mon" || { fail restart-monitor-started "$(cat "$mon")"; exit 0; }
old_pid=$(prop kube-lb-agent MainPID)
cursor=$(journal_cursor)
check restart-job systemctl restart kube-lb-agent.service
new_pid=$(prop kube-lb-agent MainPID)
check_not restart-new-process test "$new_pid" = "$old_pid"
check restart-ready-again wait_until 90 agent_ready
monitor_flush "$mon"
printf -- '--- ip monitor during the restart:\n%s\n' "$(cat "$mon")"
check_eq restart-zero-deletions "$(ours_deleted "$mon")" ""
check restart-still-announced announced
since=$(journal_since "$cursor")
check_match restart-kept-routes "$since" 'restart job [0-9]+ is restarting kube-lb-agent\.service: keeping routes'
check_match restart-adopted-same-boot "$since" 'restart within the same boot'
