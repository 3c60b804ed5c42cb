// rtnetlink messages, encoded and decoded by hand: the netlink package's
// generic attribute codec costs microseconds per message, and a full
// reconcile or dump handles 20,000 of them. Only what the agent sends and
// reads is here: routes, addresses, links. Layouts: include/uapi/linux/
// netlink.h, rtnetlink.h, if_addr.h, if_link.h. This file gathers them:
// the frame (wire-frame.ts), routes, addresses, links.

export * from './wire-frame.ts';
export * from './wire-route.ts';
export * from './wire-address.ts';
export * from './wire-link.ts';
