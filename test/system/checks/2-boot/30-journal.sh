# Log lines reach journald with their own priorities (the "<N>" prefixes are
# read, not printed): the shipped config has no pools, which is a warning;
# the boot verdict is info.
warn=$(journalctl -b -u kube-lb-agent -p warning -o cat)
info=$(journalctl -b -u kube-lb-agent -p info -o cat)
printf -- '-- warning and above:\n%s\n-- info and above:\n%s\n' "$warn" "$info"
check_match journal-warning-under-p-warning "$warn" 'no pools configured'
check_match journal-info-under-p-info "$info" 'fresh boot'
check_no_match journal-info-not-under-p-warning "$warn" 'fresh boot'
check_match journal-warning-is-priority-4 "$(journalctl -b -u kube-lb-agent -p warning..warning -o cat)" 'no pools configured'
check_match journal-info-is-priority-6 "$(journalctl -b -u kube-lb-agent -p info..info -o cat)" 'fresh boot'
check_no_match journal-no-raw-priority-prefix "$info" '^<[0-7]>'
