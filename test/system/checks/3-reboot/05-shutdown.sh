# The reboot that began this phase, seen from this side: at the moment the
# unit ordered to stop after the agent stopped (2-boot/80-shutdown-recorder.sh),
# table 198 held none of the agent's routes and kube-lb0 no address; and the
# previous boot's journal shows logind's PrepareForShutdown → withdrawal, with
# the delay lock held until then, before systemd stopped the agent.
prev=$(recall boot-id-announced)
f=/var/lib/systest-shutdown/$prev.txt
if [[ ! -s $f ]]; then fail shutdown-recorded "no $f: $(ls -la /var/lib/systest-shutdown 2>&1)"; exit 0; fi
at_stop=$(cat "$f")
printf -- '--- at shutdown, after the agent stopped:\n%s\n' "$at_stop"
pass shutdown-recorded
check_match shutdown-recorded-complete "$at_stop" '^--- end$'
check_match shutdown-agent-was-stopped "$at_stop" '^agent: (inactive|failed)$'
check_no_match shutdown-table-198-empty-of-ours "$at_stop" ' proto (201|kube-lb)( |$)'
check_no_match shutdown-kube-lb0-no-address "$at_stop" "inet6? (${LB4//./\\.}|$LB6)/"

journal=$(journalctl -b -1 -u kube-lb-agent -o short-monotonic 2>&1)
printf -- '--- the agent at the end of the previous boot:\n%s\n' "$(tail -n 25 <<< "$journal")"
# Line numbers of the last PrepareForShutdown and what came after it (the
# agent was restarted and stopped earlier in that boot, too).
prepare=$(grep -n -E -- 'logind: the system is going down; withdrawing now' <<< "$journal" | tail -n 1 | cut -d: -f1)
after() { awk -v from="${prepare:-0}" -v re="$1" 'NR > from && $0 ~ re { print NR; exit }' <<< "$journal"; }
withdrawn=$(after 'withdrawn before shutdown')
sigterm=$(after 'SIGTERM received')
check_match shutdown-prepare-for-shutdown-seen "$journal" 'logind: the system is going down; withdrawing now'
check_match shutdown-withdrawn-before-shutdown "$journal" 'withdrawn before shutdown; delay inhibitor released'
if [[ -n $prepare && -n $withdrawn && -n $sigterm ]] && ((prepare < withdrawn && withdrawn < sigterm)); then
  pass shutdown-withdrawn-before-sigterm
else
  fail shutdown-withdrawn-before-sigterm "PrepareForShutdown at line ${prepare:-?}, withdrawn at ${withdrawn:-?}, SIGTERM at ${sigterm:-?}"
fi
check_match shutdown-inhibitor-was-held "$journal" 'shutdown delay inhibitor held'
