// kernel/ — netlink: the interface, routes, addresses and the monitor, spoken
// through the `netlink` package (rtnetlink). Knows the kernel, knows nothing of
// Kubernetes. The agent builds a KernelDesired with `desiredState(...)` and
// hands it whole to `KernelReconciler.reconcile`; the boot phase and
// `cleanup` use `sweep`. No subprocesses here: everything is netlink.

export { listLinks, type Link, type ListLinksOptions } from './links.ts';
export { DEFAULT_TIMEOUT_MS, RtnlSocket } from './socket.ts';
export { NetlinkError, isNetlinkError, type Errno } from './errors.ts';
export {
  desiredState,
  desiredStateDelta,
  kernelMetric,
  routeKey,
  addressKey,
  EMPTY_DESIRED,
  type AnnouncedChange,
  type AnnouncedIp,
  type DesiredAddress,
  type DesiredProblem,
  type DesiredResult,
  type DesiredRoute,
  type KernelDesired,
} from './desired.ts';
export { diff, type KernelDiff, type KernelOp, type RouteConflict } from './diff.ts';
export type { ObservedAddress, ObservedRoute, ObservedView } from './observed.ts';
export { kernelSettings, type KernelSettings } from './settings.ts';
export { KernelReconciler, type PassReport, type PassTrigger, type ReconcilerOptions, type ReconcilerStats } from './reconciler.ts';
export { ensureInterface, getLink, removeInterface, type InterfaceState, type KernelLog } from './interface.ts';
export { sweep, listOwned, bootKernel, describeAddress, describeRoute, type BootKernelReport, type Holdings, type SweepOptions, type SweepReport } from './sweep.ts';
