# timeout: 300
# The package as a user installs it: `apt install ./kube-lb-agent_*.deb`, with
# no network — its dependencies must already be on a minimal Debian system.
deb=$(deb)
if [[ -z $deb ]]; then fail apt-install "no kube-lb-agent_*.deb in the payload"; exit 0; fi
cd "$(dirname "$deb")" &&
  check apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "./$(basename "$deb")"
check_eq dpkg-installed "$(dpkg-query -W -f='${db:Status-Abbrev}' kube-lb-agent 2>&1 | xargs)" ii
check_eq unit-enabled "$(systemctl is-enabled kube-lb-agent.service 2>&1)" enabled
check_match conffile "$(dpkg-query -W -f='${Conffiles}\n' kube-lb-agent)" '^ */etc/kube-lb-agent/config\.toml [0-9a-f]{32}$'
check user-created getent passwd kube-lb-agent
check binary-runs /usr/bin/kube-lb-agent version
record deb-version "$(dpkg-query -W -f='${Version}' kube-lb-agent)"
