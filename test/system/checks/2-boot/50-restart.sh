# A restart within the same boot is told apart from a fresh boot.
cursor=$(journalctl -u kube-lb-agent -n 1 -q -o cat --show-cursor | sed -n 's/^-- cursor: //p')
check agent-restart systemctl restart kube-lb-agent.service
check_eq agent-active-after-restart "$(systemctl is-active kube-lb-agent.service)" active
since=$(journalctl -u kube-lb-agent -o cat --after-cursor="$cursor")
check_match restart-logged-as-same-boot "$since" 'restart within the same boot'
check_no_match restart-not-logged-as-fresh-boot "$since" 'fresh boot'
