# kubelet starts only after the agent's unit is started (Before=kubelet.service,
# Type=exec after ExecStartPre=boot), and finds the boot phase done.
agent_up=$(prop kube-lb-agent ActiveEnterTimestampMonotonic)
kubelet_start=$(prop kubelet InactiveExitTimestampMonotonic)
echo "agent active at ${agent_up}us, kubelet started at ${kubelet_start}us (monotonic)"
check_eq kubelet-standin-ran "$(standin complete)" done
if ((agent_up > 0 && kubelet_start >= agent_up)); then pass agent-started-before-kubelet
else fail agent-started-before-kubelet "agent active at ${agent_up}us, kubelet started at ${kubelet_start}us"; fi
check_eq kubelet-saw-agent-active "$(standin agent-active-state)" active
check_eq kubelet-saw-boot-record "$(standin boot-record)" "$(standin boot_id)"
record boot-id-2 "$(cat /proc/sys/kernel/random/boot_id)"
