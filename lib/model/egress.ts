/**
 * The egress audit's vocabulary: where a run's outgoing connections went, and
 * what was alerted. The job summary, `--report` and `--write-expect` are all
 * rendered from one {@linkcode EgressSummary}.
 *
 * @module
 */
import type { Protocol } from "./connection.ts";
import type { AlertCondition } from "./monitor_event.ts";

/** A port a destination was reached on. */
export interface EgressPort {
  protocol: Protocol;
  port: number;
}

/** One destination: a domain when the name asked for is known, else an address. */
export interface EgressDestination {
  /** The domain asked for, or the address. */
  name: string;
  isDomain: boolean;
  /** The addresses reached under this name (the name itself for an address). */
  addresses: string[];
  ports: EgressPort[];
  /** Process names that connected to it (`null`: the OS did not tell). */
  processes: (string | null)[];
  country: string | null;
  asn: number | null;
  as_org: string | null;
  /** When the first connection to it was seen (ISO 8601 with offset). */
  first_seen: string;
  /** Connections to it seen during the run. */
  connections: number;
  /** Every alert condition met by a connection to it. */
  conditions: AlertCondition[];
}

/** One alert, as the report lists it. */
export interface EgressAlert {
  conditions: AlertCondition[];
  severity: "warning" | "error";
  /** The destination: the domain when known, else the address. */
  destination: string;
  address: string;
  protocol: Protocol;
  port: number | null;
  process_name: string | null;
  pid: number | null;
  reason: string;
  /** When the connection was seen (ISO 8601 with offset). */
  seen: string;
}

/** Everything the egress report says about one run. */
export interface EgressSummary {
  started: string;
  ended: string;
  /** Destinations in the order they were first seen. */
  destinations: EgressDestination[];
  alerts: EgressAlert[];
  /** Outgoing connections seen (loopback left out). */
  connections: number;
  /** Outgoing connections to loopback addresses: counted, not listed. */
  loopback: number;
  /** The `--expect` file, when there was one. */
  expect: string | null;
  /** Destinations and alerts past the memory bound: counted, not listed. */
  droppedDestinations: number;
  droppedAlerts: number;
}

/**
 * The word for what an alert found, worst first: `BLOCKLISTED`, `MALICIOUS`,
 * `SUSPICIOUS`, `UNEXPECTED`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { verdictWord } from "./egress.ts";
 * deepStrictEqual(verdictWord(["suspicious", "malicious", "unexpected"]), "MALICIOUS");
 * deepStrictEqual(verdictWord(["unexpected"]), "UNEXPECTED");
 * deepStrictEqual(verdictWord([]), "ALERT");
 * ```
 */
export function verdictWord(conditions: readonly AlertCondition[]): string {
  for (const condition of ["blocklisted", "malicious", "suspicious", "unexpected"] as const) {
    if (conditions.includes(condition)) return condition.toUpperCase();
  }
  return "ALERT";
}
