# The next boot is a fresh boot again: a new boot id, recorded before kubelet.
boot=$(cat /proc/sys/kernel/random/boot_id)
check_eq agent-active-after-second-reboot "$(systemctl is-active kube-lb-agent.service)" active
check_not boot-id-changed test "$boot" = "$(recall boot-id-2)"
check_eq boot-record-updated "$(cat /var/lib/kube-lb-agent/boot_id)" "$boot"
check_match fresh-boot-logged "$(journalctl -b -u kube-lb-agent -o cat)" 'fresh boot'
check_eq kubelet-saw-new-boot-record "$(standin boot-record)" "$boot"
