# A stand-in kubelet.service (enabled, Type=oneshot, no ordering of its own):
# from the next boot on it records what it finds when the real one would start.
install -D -m 0755 "$(fixture kubelet-standin)" /usr/local/lib/systest/kubelet-standin
install -D -m 0644 "$(fixture kubelet.service)" /etc/systemd/system/kubelet.service
check kubelet-standin-enabled systemctl enable kubelet.service
