# For the reboot into the next phase (a shutdown like any other: logind's
# PrepareForShutdown, then systemd stops every unit): a unit ordered to stop
# after the agent writes what table 198 and kube-lb0 hold at that moment to
# the root disk. Units stop in the reverse of their start order, so Before=
# the agent means it stops after it. 3-reboot/05-shutdown.sh reads it.
wait_until 60 announced || fail shutdown-precondition-announced "$(ours_routes)"
install -d /usr/local/lib/systest
cat > /usr/local/lib/systest/shutdown-recorder <<'SCRIPT'
#!/bin/sh
f=/var/lib/systest-shutdown/$(cat /proc/sys/kernel/random/boot_id).txt
mkdir -p /var/lib/systest-shutdown
{
  echo "agent: $(systemctl show -P ActiveState kube-lb-agent.service)"
  echo "--- ip -d route show table 198"; ip -d route show table 198; ip -6 -d route show table 198
  echo "--- ip addr show dev kube-lb0"; ip addr show dev kube-lb0
  echo "--- end"
} > "$f.tmp" 2>&1
mv "$f.tmp" "$f"
sync
SCRIPT
chmod 0755 /usr/local/lib/systest/shutdown-recorder
cat > /etc/systemd/system/systest-shutdown-recorder.service <<'UNIT'
[Unit]
Description=Record table 198 after kube-lb-agent has stopped (system test)
Before=kube-lb-agent.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStop=/usr/local/lib/systest/shutdown-recorder

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
check shutdown-recorder-enabled systemctl enable --now systest-shutdown-recorder.service
check_eq shutdown-recorder-active "$(systemctl is-active systest-shutdown-recorder.service)" active
# The agent is After= it, so stops before it.
check_match shutdown-recorder-ordered "$(prop kube-lb-agent After)" '\bsystest-shutdown-recorder\.service\b'
record boot-id-announced "$(cat /proc/sys/kernel/random/boot_id)"
