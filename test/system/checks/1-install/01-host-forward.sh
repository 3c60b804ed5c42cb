# The guest reaches a host loopback server through its forward (host.d/loopback-echo.sh),
# and nothing else (00-vm.sh: vm-network-restricted).
reply=$(timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.2.100/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' 2>&1)
printf '%s\n' "$reply"
check_match vm-host-forward "$reply" "^$(cat "$(fixture loopback-echo.token)")\$"
