// kernel/ — netlink: the interface, routes, addresses and the monitor, spoken
// through the `netlink` package (rtnetlink). Knows the kernel, knows nothing of
// Kubernetes.

export { listLinks, type Link, type ListLinksOptions } from './links.ts';
export { DEFAULT_TIMEOUT_MS } from './rtnl.ts';
