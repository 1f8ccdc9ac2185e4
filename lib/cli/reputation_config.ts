import type { AbuseIpdbSettings } from "../enrich/abuseipdb.ts";
import { UsageError } from "./usage_error.ts";
import { DEFAULT_ABUSE_URL, DEFAULT_THRESHOLDS } from "../model/risk.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { Platform } from "../platform/platform.ts";
import { userFiles } from "../platform/user_files.ts";

/** The SPEC's reputation variables, read from the environment and `.env`. */
export const REPUTATION_ENV = [
  "ABUSEAPI",
  "ABUSE_URL",
  "SAFE_THRESHOLD",
  "MALICIOUS_THRESHOLD",
  "RESCAN_INTERVAL",
] as const;

type ReputationVariable = typeof REPUTATION_ENV[number];

/** SPEC's default `RESCAN_INTERVAL`, in seconds (two days). */
export const DEFAULT_RESCAN_SECONDS = 172_800;

/** Largest `.env` read: a few settings, never megabytes. */
const MAX_ENV_FILE_BYTES = 64 * 1024;

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

/** Where the settings are read: the environment's variables, and `.env` or `--env-file` on the machine's files. */
export interface ReputationIo {
  env: ReadonlyMap<string, string>;
  machine: Pick<Platform, "files" | "mayRead">;
}

/** One place settings come from: the environment, or one file. */
interface SettingSource {
  /** `in the environment`, `in .env`. */
  where: string;
  /** The file's name, or null for the environment. */
  file: string | null;
  values: ReadonlyMap<string, string>;
}

function quoted(text: string): string {
  return `"${safeTerminalText(text)}"`;
}

async function readDotEnv(
  flags: ReputationFlags,
  machine: ReputationIo["machine"],
  notes: string[],
): Promise<SettingSource> {
  const file = flags.envFile ?? ".env";
  const user = userFiles(machine.files);
  let text: string | null;
  if (flags.envFile !== undefined) {
    text = await user.readUserFile(flags.envFile, { maxBytes: MAX_ENV_FILE_BYTES });
  } else if (!machine.mayRead(".env")) {
    // Without permission .env is left out; the caller says so with the other left-out reads.
    text = null;
  } else {
    // Not named by the user: one that cannot be read (a FIFO, a directory) is left out with a note.
    try {
      text = await user.readOptionalUserFile(".env", { maxBytes: MAX_ENV_FILE_BYTES });
    } catch (error) {
      notes.push(`note: .env not read: ${error instanceof Error ? error.message : error}`);
      text = null;
    }
  }
  const values = new Map<string, string>();
  if (text === null) return { where: `in ${file}`, file, values };
  // dotenv is CommonJS: Deno's CommonJS loader (and the node:fs it brings) costs ~6 MiB of RSS at import,
  // so only a run with a .env file to read loads it.
  const { parse } = await import("dotenv");
  for (const [name, value] of Object.entries(parse(text))) {
    if ((REPUTATION_ENV as readonly string[]).includes(name) && value.trim() !== "") values.set(name, value);
  }
  return { where: `in ${file}`, file, values };
}

function environmentSource(env: ReadonlyMap<string, string>): SettingSource {
  const values = new Map<string, string>();
  for (const name of REPUTATION_ENV) {
    const value = env.get(name);
    if (value !== undefined && value.trim() !== "") values.set(name, value);
  }
  return { where: "in the environment", file: null, values };
}

function scoreValue(name: string, text: string, where: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new UsageError(`${name} ${where} must be a score from 0 to 100, not ${quoted(text)}`);
  }
  return n;
}

function originOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).origin : null;
}

/**
 * A file never moves the environment's key: when the key comes from the
 * environment and the file names another server, the run is refused.
 */
function refuseMovedKey(keySource: SettingSource, file: SettingSource, flags: ReputationFlags): void {
  if (keySource.file !== null || flags.abuseUrl !== undefined) return;
  const fileUrl = file.values.get("ABUSE_URL");
  if (fileUrl === undefined) return;
  const keyUrl = keySource.values.get("ABUSE_URL") ?? DEFAULT_ABUSE_URL;
  if (originOf(fileUrl) !== null && originOf(fileUrl) === originOf(keyUrl)) return;
  throw new UsageError(
    `${file.file} sets ABUSE_URL to ${quoted(fileUrl)}, which would send the AbuseIPDB key from the ` +
      `environment there; refused: remove ABUSE_URL from ${file.file}, or set ABUSE_URL in the environment ` +
      "or with --abuse-url",
  );
}

/** Settings of the source without the key, which are not used: said once. */
function ignoredNote(keySource: SettingSource, other: SettingSource): string | null {
  const ignored = REPUTATION_ENV.filter((name) => {
    const value = other.values.get(name);
    return value !== undefined && value !== keySource.values.get(name);
  });
  if (ignored.length === 0) return null;
  const keyWhere = keySource.file === null ? "the environment" : keySource.file;
  return `note: ${ignored.join(", ")} ${other.where} not used: the AbuseIPDB key comes from ${keyWhere}, ` +
    "and only the settings beside it apply";
}

/**
 * Reputation settings. They come as a unit from one place: the environment
 * when it holds the key (`ABUSEAPI`), else `.env` in the working directory
 * (or `--env-file`, read with dotenv's parser; the process environment is
 * never changed). The key goes only to the `ABUSE_URL` set beside it, or to
 * the official API; a file that would send the environment's key elsewhere is
 * refused. Flags win over both. Without a key reputation is off. Bad values
 * are usage errors naming where they came from; the key itself is never put
 * in a message.
 */
export async function reputationConfig(flags: ReputationFlags, io: ReputationIo): Promise<ReputationConfig> {
  const notes: string[] = [];
  if (!flags.reputation) return { settings: null, notes };
  const fromEnvironment = environmentSource(io.env);
  const fromFile = await readDotEnv(flags, io.machine, notes);
  const keySource = fromEnvironment.values.has("ABUSEAPI")
    ? fromEnvironment
    : fromFile.values.has("ABUSEAPI")
    ? fromFile
    : null;
  if (keySource === null) return { settings: null, notes };
  const other = keySource === fromEnvironment ? fromFile : fromEnvironment;
  refuseMovedKey(keySource, fromFile, flags);
  const ignored = ignoredNote(keySource, other);
  if (ignored !== null) notes.push(ignored);

  const value = (name: ReputationVariable) => {
    const text = keySource.values.get(name);
    return text === undefined ? null : { text, where: keySource.where };
  };
  const key = (keySource.values.get("ABUSEAPI") ?? "").trim();
  const urlValue = flags.abuseUrl === undefined
    ? value("ABUSE_URL")
    : { text: flags.abuseUrl, where: "(--abuse-url)" };
  const url = urlValue?.text.trim() ?? DEFAULT_ABUSE_URL;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`ABUSE_URL ${urlValue?.where ?? ""} must be an http(s) URL, not ${quoted(url)}`);
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
        `RESCAN_INTERVAL ${rescanText.where} must be a number of seconds, not ${quoted(rescanText.text)}`,
      );
    }
  }
  return {
    settings: { key, url, thresholds: { safe, malicious }, rescanMs: rescanSeconds * 1000 },
    notes,
  };
}
