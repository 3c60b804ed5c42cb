# timeout: 180
# `apt-get purge` takes everything of ours away: the unit, the state, the
# conffile, the user; and the agent is stopped.
check apt-purge env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o Dpkg::Use-Pty=0 kube-lb-agent
check_eq purge-dpkg-forgot "$(dpkg-query -W -f='${db:Status-Abbrev}' kube-lb-agent 2>/dev/null | xargs)" ""
check_eq purge-unit-not-found "$(prop kube-lb-agent LoadState)" not-found
check_eq purge-unit-files-gone "$(ls /lib/systemd/system/kube-lb-agent* /usr/lib/systemd/system/kube-lb-agent* /etc/systemd/system/*/kube-lb-agent* 2>/dev/null)" ""
check_not purge-agent-not-running pgrep -x kube-lb-agent
check_not purge-state-gone test -e /var/lib/kube-lb-agent
check_not purge-conffile-gone test -e /etc/kube-lb-agent/config.toml
check_not purge-user-gone getent passwd kube-lb-agent
check_not purge-binary-gone test -e /usr/bin/kube-lb-agent
