// Placeholder until the netlink patch lands: nothing to do yet.
