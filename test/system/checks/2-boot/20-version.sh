# The CLI works as the agent's own user, native netlink addon included.
out=$(runuser -u kube-lb-agent -- /usr/bin/kube-lb-agent version --verbose 2>&1); rc=$?
printf '%s\n' "$out"
check_eq version-as-agent-user-exit "$rc" 0
check_match version-reports-package-version "$out" "^kube-lb-agent $(recall deb-version)\$"
check_match version-netlink-addon "$out" '^netlink: ok'
