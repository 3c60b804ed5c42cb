# timeout: 300
# An upgrade to a package of a higher version (host.d/upgrade-deb.sh) with
# `apt-get install ./x.deb`, as an operator does it. dh_installsystemd
# (compat 13, --restart-after-upgrade) restarts the unit in postinst with
# `deb-systemd-invoke try-restart` and does not stop it in prerm: a restart
# job, so the routes stay throughout (an `ip monitor` started before records
# no deletion of ours), and the new process adopts them.
#
# Without --force-confold, dpkg stops at a conffile prompt whenever the new
# package's default config.toml differs from the old one's (it does, between
# releases, and the node's copy is always edited): `apt-get -y` without a
# terminal then fails in postinst, before the restart.
new=$SYSTEST_DIR/debs/$SYSTEST_UPGRADE_DEB
[[ -f $new ]] || { fail upgrade-package-present "no $SYSTEST_UPGRADE_DEB in the payload"; exit 0; }
wait_until 60 announced || { fail upgrade-precondition-announced "$(ours_routes)"; exit 0; }
old_pid=$(prop kube-lb-agent MainPID)
mon=$SYSTEST_OUT/74-monitor.txt
monitor_start "$mon" || { fail upgrade-monitor-started "$(cat "$mon")"; exit 0; }
cursor=$(journal_cursor)
t=$SECONDS
# As fleet automation runs it: a config.toml edited on the node (every node
# has its pools there) is kept when the new package ships a changed default.
cd "$(dirname "$new")" &&
  check apt-upgrade env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "./$(basename "$new")"
echo "apt-get install took $((SECONDS - t)) s"
check_eq upgrade-version "$(dpkg-query -W -f='${Version}' kube-lb-agent)" "$SYSTEST_UPGRADE_VERSION"
check_eq upgrade-agent-active "$(systemctl is-active kube-lb-agent.service)" active
check_not upgrade-restarted-the-agent test "$(prop kube-lb-agent MainPID)" = "$old_pid"
check upgrade-ready-again wait_until 90 agent_ready
monitor_flush "$mon"
printf -- '--- ip monitor during the upgrade:\n%s\n' "$(cat "$mon")"
check_eq upgrade-zero-deletions "$(ours_deleted "$mon")" ""
check upgrade-still-announced announced
since=$(journal_since "$cursor")
check_match upgrade-was-a-restart-job "$since" 'job [0-9]+ is restarting kube-lb-agent\.service: keeping routes'
check_no_match upgrade-no-withdrawal "$since" 'withdrawing routes'
check_eq upgrade-config-kept "$(cmp -s /etc/kube-lb-agent/config.toml /var/lib/systest-config.toml && echo same)" same
