import type { GatewayView } from '../../pipeline/gateway-view.js';
import type { Logger } from '../../telemetry/logger.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import type { RollingSeries } from './series.js';

/**
 * What every admin route (src/extensions/admin/mounts.ts) may use: the running gateway, its
 * telemetry, the rolling series for charts, facts for /status and the auth check. Routes map
 * arguments onto these and hold no logic of their own (docs/architecture.md §5).
 */

/** Request headers as node gives them (lower-case names). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export interface AdminContext {
  /** Pipelines with their components and states, exporters with their queues and delivery state. */
  readonly gateway: GatewayView;
  /** The gateway's own counters and gauges (prom-client registry). */
  readonly telemetry: Telemetry;
  /** Rolling metrics for the status page's charts: a ring buffer per series, 15 min at 5 s. */
  readonly series: RollingSeries;
  /** package.json version. */
  readonly version: string;
  /** When the admin extension started (≈ the gateway's start). */
  readonly startedAtMs: number;
  /** sha256 of the resolved configuration (secrets included in the hash, never in any answer). */
  readonly configHash: string;
  readonly logger: Logger;
  /**
   * true when the headers carry valid credentials (always true without `auth`). The admin server
   * runs it before every route under `/api/v1` and `/mcp`; a mount serving elsewhere (the status
   * page's assets) decides itself.
   */
  authenticate(headers: RequestHeaders): Promise<boolean>;
  /** Runs `hook` when the admin server shuts down (after it stopped taking requests). */
  onShutdown(hook: () => void | Promise<void>): void;
}
