import { parse } from "dotenv";
import { type AbuseIpdbSettings, DEFAULT_ABUSE_URL } from "../enrich/abuseipdb.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_THRESHOLDS } from "../model/risk.ts";
import { readUserFile } from "../store/user_files.ts";

/** The SPEC's reputation variables, read from the environment and `.env`. */
export const REPUTATION_ENV = [
  "ABUSEAPI",
  "ABUSE_URL",
  "SAFE_THRESHOLD",
  "MALICIOUS_THRESHOLD",
  "RESCAN_INTERVAL",
] as const;

/** SPEC's default `RESCAN_INTERVAL`, in seconds (two days). */
export const DEFAULT_RESCAN_SECONDS = 172_800;

/** Reputation flags; each wins over the environment and `.env`. */
export interface ReputationFlags {
  reputation: boolean;
  envFile?: string;
  abuseUrl?: string;
  safeThreshold?: number;
  maliciousThreshold?: number;
  /** Seconds. */
  rescanInterval?: number;
}

/** What was read: the settings (null when reputation is off) and lines for the user. */
export interface ReputationConfig {
  settings: AbuseIpdbSettings | null;
  notes: string[];
}

async function readDotEnv(
  flags: ReputationFlags,
  notes: string[],
): Promise<{ values: Record<string, string>; source: string }> {
  if (flags.envFile !== undefined) {
    return { values: parse(await readUserFile(flags.envFile)), source: flags.envFile };
  }
  // Without permission .env is left out; the caller says so with the other left-out reads.
  if (Deno.permissions.querySync({ name: "read", path: ".env" }).state !== "granted") {
    return { values: {}, source: ".env" };
  }
  try {
    return { values: parse(await Deno.readTextFile(".env")), source: ".env" };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      notes.push(`note: .env not read: ${error instanceof Error ? error.message : error}`);
    }
    return { values: {}, source: ".env" };
  }
}

function scoreValue(name: string, text: string, where: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new UsageError(`${name} ${where} must be a score from 0 to 100, not "${text}"`);
  }
  return n;
}

/**
 * Reputation settings from, in increasing precedence: `.env` (or
 * `--env-file`, read with dotenv's parser; the process environment is never
 * changed), the environment variables Deno lets the run read, and flags.
 * Without a key (`ABUSEAPI`) reputation is off. Bad values are usage errors
 * naming where they came from; the key itself is never put in a message.
 */
export async function reputationConfig(
  flags: ReputationFlags,
  env: ReadonlyMap<string, string>,
): Promise<ReputationConfig> {
  const notes: string[] = [];
  if (!flags.reputation) return { settings: null, notes };
  const dotEnv = await readDotEnv(flags, notes);
  const value = (name: typeof REPUTATION_ENV[number]) => {
    const fromEnv = env.get(name);
    if (fromEnv !== undefined && fromEnv !== "") return { text: fromEnv, where: "in the environment" };
    const fromFile = dotEnv.values[name];
    return fromFile === undefined || fromFile === ""
      ? null
      : { text: fromFile, where: `in ${dotEnv.source}` };
  };
  const key = value("ABUSEAPI")?.text.trim();
  if (key === undefined || key === "") return { settings: null, notes };

  const urlValue = flags.abuseUrl === undefined
    ? value("ABUSE_URL")
    : { text: flags.abuseUrl, where: "(--abuse-url)" };
  const url = urlValue?.text ?? DEFAULT_ABUSE_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`ABUSE_URL ${urlValue?.where ?? ""} must be an http(s) URL, not "${url}"`);
  }
  const safeText = value("SAFE_THRESHOLD");
  const maliciousText = value("MALICIOUS_THRESHOLD");
  const safe = flags.safeThreshold ??
    (safeText === null
      ? DEFAULT_THRESHOLDS.safe
      : scoreValue("SAFE_THRESHOLD", safeText.text, safeText.where));
  const malicious = flags.maliciousThreshold ??
    (maliciousText === null
      ? DEFAULT_THRESHOLDS.malicious
      : scoreValue("MALICIOUS_THRESHOLD", maliciousText.text, maliciousText.where));
  if (safe >= malicious) {
    throw new UsageError(`the safe threshold (${safe}) must be below the malicious threshold (${malicious})`);
  }
  const rescanText = value("RESCAN_INTERVAL");
  let rescanSeconds = flags.rescanInterval ?? DEFAULT_RESCAN_SECONDS;
  if (flags.rescanInterval === undefined && rescanText !== null) {
    rescanSeconds = Number(rescanText.text);
    if (!Number.isFinite(rescanSeconds) || rescanSeconds <= 0) {
      throw new UsageError(
        `RESCAN_INTERVAL ${rescanText.where} must be a number of seconds, not "${rescanText.text}"`,
      );
    }
  }
  return {
    settings: { key, url, thresholds: { safe, malicious }, rescanMs: rescanSeconds * 1000 },
    notes,
  };
}
