# Every unit came up at this boot (a failed one is named in the detail).
check_eq boot-no-failed-units "$(systemctl list-units --failed --plain --no-legend | awk '{print $1}' | xargs)" ""
