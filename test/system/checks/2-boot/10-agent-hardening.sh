# After a reboot the agent is up on its own, under the shipped hardening: its
# own user, CAP_NET_ADMIN and nothing else — as systemd reports it and as the
# kernel sees the running process.
check_eq agent-active "$(systemctl is-active kube-lb-agent.service)" active
check_eq agent-unit-user "$(prop kube-lb-agent User)" kube-lb-agent
check_eq agent-unit-ambient-caps "$(prop kube-lb-agent AmbientCapabilities)" cap_net_admin
check_eq agent-unit-bounding-set "$(prop kube-lb-agent CapabilityBoundingSet)" cap_net_admin
check_eq agent-unit-no-new-privs "$(prop kube-lb-agent NoNewPrivileges)" yes

pid=$(prop kube-lb-agent MainPID)
status=$(cat "/proc/$pid/status" 2>&1)
uid=$(id -u kube-lb-agent)
cap_net_admin=0000000000001000   # bit 12
check_match agent-process-uid "$status" "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$"
check_match agent-process-cap-eff "$status" "^CapEff:\s+$cap_net_admin$"
check_match agent-process-cap-bnd "$status" "^CapBnd:\s+$cap_net_admin$"
check_match agent-process-cap-amb "$status" "^CapAmb:\s+$cap_net_admin$"
check_match agent-process-seccomp "$status" '^Seccomp:\s+2$'
