// plan/ — the pure heart of the agent: from the config, one cluster snapshot
// and this node's name, which Service IPs this node announces, and for every
// Service IP considered a machine-readable reason why it is or is not
// announced here. No I/O, no clock, no randomness; plan.ts states the
// contract with the caller, reasons.ts the meaning of every reason.

export { changedServices, plan, planDelta, replan, type PlanDelta } from './plan.ts';
export { PlanMemo } from './ips.ts';
export { REASONS, reasonTable, type Reason } from './reasons.ts';
export type { Announcement, Decision, IpSource, Plan, PlanInput, PlanWarning, WarningCode } from './types.ts';
export { ADVERTISE_ANNOTATIONS, LOCAL_ANNOTATION, SKIP_LB_IPS_ANNOTATION } from './annotations.ts';
export { EXCLUDE_LABEL } from './eligibility.ts';
