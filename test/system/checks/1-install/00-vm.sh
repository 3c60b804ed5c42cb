# The VM itself, before anything of ours: real systemd as PID 1, journald,
# the system bus, and a network that reaches nothing but the host's forwards.
check_eq vm-systemd-pid1 "$(cat /proc/1/comm)" systemd
check vm-journald systemctl is-active --quiet systemd-journald.service
check vm-system-bus busctl --system status org.freedesktop.systemd1
check vm-dummy-interface bash -c 'ip link add systest0 type dummy && ip link del systest0'
check_not vm-network-restricted timeout 3 bash -c 'exec 3<>/dev/tcp/10.0.2.2/80'
