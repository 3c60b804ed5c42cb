# A fresh boot: the routes of protocol 201 seeded into table 198 before the
# agent (2-boot/60-kube-lb0.sh installed the seeding unit) are gone by the time
# the stand-in kubelet starts; the route of another protocol is still there.
seeded=$(cat /run/systest-seeded-198.txt 2>&1)
printf 'seeded before the agent:\n%s\n' "$seeded"
check_match seed-ran-v4 "$seeded" '^198\.51\.100\.1 dev lo proto (201|kube-lb) '
check_match seed-ran-v6 "$seeded" '^2001:db8:51::1 dev lo proto (201|kube-lb) '
seed_done=$(prop systest-seed-routes ActiveEnterTimestampMonotonic)
agent_start=$(prop kube-lb-agent InactiveExitTimestampMonotonic)
if ((seed_done > 0 && seed_done <= agent_start)); then pass seed-ran-before-agent
else fail seed-ran-before-agent "seeded at ${seed_done}us, agent's start job began at ${agent_start}us"; fi
at_kubelet=$(standin routes-198.txt)
printf 'table 198 when kubelet started:\n%s\n' "$at_kubelet"
# (The seeded ones: the agent, configured in 2-boot, may already be announcing
# the Service's IPs again by the time kubelet starts.)
seeded_ours='^(198\.51\.100\.|2001:db8:51::).* proto (201|kube-lb)( |$)'
check_no_match stale-routes-gone-before-kubelet "$at_kubelet" "$seeded_ours"
check_match other-protocol-kept "$at_kubelet" '^198\.51\.100\.2 dev lo proto 248 '
check_no_match stale-routes-gone-now "$(ip -4 route show table 198; ip -6 route show table 198)" "$seeded_ours"
journal=$(journalctl -b -u kube-lb-agent -o cat)
check_match sweep-logged "$journal" 'removed route 198\.51\.100\.1/32 table 198 proto 201 metric 0'
check_match sweep-counted "$journal" '"routesRemoved":3'
systemctl disable systest-seed-routes.service > /dev/null 2>&1
ip route del 198.51.100.2/32 table 198 proto 248 2> /dev/null
