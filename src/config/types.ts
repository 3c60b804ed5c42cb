// The typed configuration the rest of the agent reads: one deeply frozen
// object, durations in milliseconds (`…Ms`), CIDRs parsed and canonical.
// TOML keys are snake_case; their fields here are camelCase.

import type { Cidr } from './cidr.ts';
import type { LabelSelector } from './selector.ts';

export interface NodeConfig {
  /** The Kubernetes Node name; '' = the host name (see `resolveNodeName`). */
  readonly name: string;
  readonly selector: LabelSelector;
  /** URL of the local kube-proxy health endpoint to wait for; '' = don't wait. */
  readonly kubeProxyHealthz: string;
}

export interface KubernetesConfig {
  readonly kubeconfig: string;
  readonly requestTimeoutMs: number;
  readonly backoffMaxMs: number;
  readonly leaseNamespace: string;
  readonly leaseDurationMs: number;
  readonly leaseRenewMs: number;
  readonly events: boolean;
}

export type InterfaceKind = 'dummy' | 'bridge';

export interface InterfaceConfig {
  readonly name: string;
  readonly kind: InterfaceKind;
}

export type RoutingMethod = 'routes' | 'addresses' | 'both';

export interface RoutingConfig {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly method: RoutingMethod;
  /** false: addresses carry IFA_F_NOPREFIXROUTE; an aggregated prefix is a route in `table` only. */
  readonly prefixRouteInMain: boolean;
}

export type Election = 'all' | 'per-service' | 'leader';

export interface AnnounceConfig {
  readonly loadbalancerIp: boolean;
  readonly externalIp: boolean;
  readonly clusterIp: boolean;
  readonly allowOptIn: boolean;
  readonly class: string;
  readonly defaultClass: boolean;
  readonly election: Election;
  readonly requireEndpoints: boolean;
  readonly requireNodeReady: boolean;
  readonly honorExcludeLabel: boolean;
}

export interface Pool {
  /** The `<name>` of `[pools.<name>]`. */
  readonly name: string;
  readonly cidrs: readonly Cidr[];
  readonly aggregationV4: number;
  readonly aggregationV6: number;
}

export interface ListenAddress {
  /** Without brackets: `127.0.0.1`, `::1`, `localhost`. */
  readonly host: string;
  readonly port: number;
}

export interface HttpConfig {
  /** null = the HTTP server is disabled. */
  readonly listen: ListenAddress | null;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LogFormat = 'auto' | 'text' | 'json';

export interface LogConfig {
  readonly level: LogLevel;
  readonly format: LogFormat;
}

export type WithdrawPolicy = 'auto' | 'always' | 'never';

export interface ShutdownConfig {
  readonly withdraw: WithdrawPolicy;
  readonly drainMs: number;
}

export interface SafetyConfig {
  readonly maxWithdrawFraction: number;
  readonly holdMs: number;
}

export interface ReconcileConfig {
  readonly resyncIntervalMs: number;
}

export interface StateConfig {
  readonly directory: string;
  /** Resolved: `<directory>/addons` when the file leaves it empty. */
  readonly addonDirectory: string;
}

export interface Config {
  readonly node: NodeConfig;
  readonly kubernetes: KubernetesConfig;
  readonly interface: InterfaceConfig;
  readonly routing: RoutingConfig;
  readonly announce: AnnounceConfig;
  /** In file order. */
  readonly pools: readonly Pool[];
  readonly http: HttpConfig;
  readonly log: LogConfig;
  readonly shutdown: ShutdownConfig;
  readonly safety: SafetyConfig;
  readonly reconcile: ReconcileConfig;
  readonly state: StateConfig;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Non-fatal findings, each formatted like an error: `FILE:LINE:COL: key.path: message`. */
  readonly warnings: readonly string[];
}
