/** A reputation verdict, as SPEC names them. */
export type RiskLevel = "SAFE" | "SUSPICIOUS" | "MALICIOUS" | "UNKNOWN";

/** Where the levels split: score ≤ safe → SAFE; score ≥ malicious → MALICIOUS; between → SUSPICIOUS. */
export interface RiskThresholds {
  safe: number;
  malicious: number;
}

/** SPEC's default check endpoint (`ABUSE_URL`). */
export const DEFAULT_ABUSE_URL = "https://api.abuseipdb.com/api/v2/check";

/** SPEC's defaults (`SAFE_THRESHOLD`, `MALICIOUS_THRESHOLD`). */
export const DEFAULT_THRESHOLDS: RiskThresholds = { safe: 15, malicious: 49 };

/**
 * The level of an abuse confidence score (0–100); no score is UNKNOWN.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { riskLevel } from "./risk.ts";
 * const t = { safe: 15, malicious: 49 };
 * deepStrictEqual([0, 15, 16, 48, 49, 100, null].map((s) => riskLevel(s, t)),
 *   ["SAFE", "SAFE", "SUSPICIOUS", "SUSPICIOUS", "MALICIOUS", "MALICIOUS", "UNKNOWN"]);
 * ```
 */
export function riskLevel(score: number | null, thresholds: RiskThresholds): RiskLevel {
  if (score === null) return "UNKNOWN";
  if (score <= thresholds.safe) return "SAFE";
  return score >= thresholds.malicious ? "MALICIOUS" : "SUSPICIOUS";
}

/** What reputation knows about one address, and when it was asked. */
export interface Reputation {
  risk_level: RiskLevel;
  /** AbuseIPDB's abuse confidence score, or null when there was none. */
  abuse_score: number | null;
  /** Country code AbuseIPDB reported, if any. */
  country: string | null;
  /** When the answer came (ms since the epoch). */
  checked_at: number;
}

/** Every risk level, as `--risk` takes them. */
export const RISK_LEVELS: readonly RiskLevel[] = ["SAFE", "SUSPICIOUS", "MALICIOUS", "UNKNOWN"];
