# The kernel layer on the real dummy path (this project's build machines have
# no dummy driver; the VM's Debian kernel has): the boot phase created
# kube-lb0 as kind dummy, up, with the agent's settings, before kubelet.
link=$(ip -d link show kube-lb0 2>&1)
printf '%s\n' "$link"
check_match kube-lb0-is-dummy "$link" '^ +dummy '
check_match kube-lb0-is-up "$link" '<[^>]*\bUP\b'
check_match kube-lb0-no-addrgen "$link" 'addrgenmode none'
check_eq kube-lb0-no-link-local "$(ip -6 -o addr show dev kube-lb0 scope link)" ""
check_eq kube-lb0-promote-secondaries "$(cat /proc/sys/net/ipv4/conf/kube-lb0/promote_secondaries)" 1
check_match kubelet-saw-kube-lb0 "$(standin ip-link.txt)" 'kube-lb0: <[^>]*\bUP\b'
check_match boot-logged-interface "$(journalctl -b -u kube-lb-agent -o cat)" '"msg":"created interface".*"kind":"dummy"|created interface.*dummy'

# A restart within the same boot keeps what is in table 198 (the next run adopts it).
ip route add 198.51.100.9/32 dev kube-lb0 table 198 proto 201
ip -6 route add 2001:db8:51::9/128 dev kube-lb0 table 198 proto 201
check agent-restart-keeps-routes systemctl restart kube-lb-agent.service
check_match same-boot-kept-v4 "$(ip -4 route show table 198)" '^198\.51\.100\.9 dev kube-lb0 proto (201|kube-lb) '
check_match same-boot-kept-v6 "$(ip -6 route show table 198)" '^2001:db8:51::9 dev kube-lb0 proto (201|kube-lb) '
ip route del 198.51.100.9/32 table 198
ip -6 route del 2001:db8:51::9/128 table 198

# For the next boot: a oneshot unit ordered before the agent seeds stale
# routes of the agent's protocol (201) and one of another protocol (248,
# kube-vip's) into table 198, and writes down what the table held then.
cat > /etc/systemd/system/systest-seed-routes.service <<'UNIT'
[Unit]
Description=Seed stale routes into table 198 before kube-lb-agent (system test)
Before=kube-lb-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'ip link set lo up; \
  ip route add 198.51.100.1/32 dev lo table 198 proto 201; \
  ip route add 198.51.100.3/32 dev lo table 198 proto 201 metric 7; \
  ip -6 route add 2001:db8:51::1/128 dev lo table 198 proto 201; \
  ip route add 198.51.100.2/32 dev lo table 198 proto 248; \
  { ip -4 route show table 198; ip -6 route show table 198; } > /run/systest-seeded-198.txt'

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
check seed-unit-enabled systemctl enable systest-seed-routes.service
