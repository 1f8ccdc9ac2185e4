// @ts-check
/**
 * What the GitHub Action's pre, main and post steps share. Plain Node.js
 * (the runner's own `node`), no dependencies: the action runs from the
 * repository as it is checked out, with nothing installed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";

/** What `--fail-on` accepts. */
export const FAIL_ON = ["blocklisted", "suspicious", "malicious", "unexpected"];

/**
 * The release target for a runner, from `RUNNER_OS` and `RUNNER_ARCH`; null
 * when no binary is built for it.
 *
 * @param {string | undefined} os
 * @param {string | undefined} arch
 * @returns {{ target: string, file: string } | null}
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { releaseTarget } from "./action_lib.mjs";
 * deepStrictEqual(releaseTarget("Linux", "ARM64")?.file, "conntrail-aarch64-unknown-linux-gnu");
 * deepStrictEqual(releaseTarget("Windows", "X64")?.file, "conntrail-x86_64-pc-windows-msvc.exe");
 * deepStrictEqual(releaseTarget("Windows", "ARM64"), null);
 * ```
 */
export function releaseTarget(os, arch) {
  /** @type {Record<string, string>} */
  const targets = {
    "Linux/X64": "x86_64-unknown-linux-gnu",
    "Linux/ARM64": "aarch64-unknown-linux-gnu",
    "macOS/X64": "x86_64-apple-darwin",
    "macOS/ARM64": "aarch64-apple-darwin",
    "Windows/X64": "x86_64-pc-windows-msvc",
  };
  const target = targets[`${os}/${arch}`];
  if (target === undefined) return null;
  return { target, file: `conntrail-${target}${os === "Windows" ? ".exe" : ""}` };
}

/**
 * The SHA-256 that a `SHA256SUMS` file (`sha256sum` format) gives for a file
 * name, or null when it lists no such file.
 *
 * @param {string} text
 * @param {string} file
 * @returns {string | null}
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { expectedSha256 } from "./action_lib.mjs";
 * const sums = `${"a".repeat(64)}  conntrail-x86_64-apple-darwin\n${"B".repeat(64)} *conntrail-x86_64-pc-windows-msvc.exe\n`;
 * deepStrictEqual(expectedSha256(sums, "conntrail-x86_64-pc-windows-msvc.exe"), "b".repeat(64));
 * deepStrictEqual(expectedSha256(sums, "conntrail-aarch64-apple-darwin"), null);
 * ```
 */
export function expectedSha256(text, file) {
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (match !== null && match[2] === file) return (match[1] ?? "").toLowerCase();
  }
  return null;
}

/**
 * The hex SHA-256 of some bytes.
 *
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * An input as the runner passes it (`INPUT_SNIFF-DNS` for `sniff-dns`), trimmed.
 *
 * @param {string} name
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string}
 */
export function input(name, env = process.env) {
  return (env[`INPUT_${name.replaceAll(" ", "_").toUpperCase()}`] ?? "").trim();
}

/**
 * A yes/no input: `true`/`false` (any case), empty for the default.
 *
 * @param {string} name
 * @param {boolean} fallback
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {boolean}
 */
export function booleanInput(name, fallback, env = process.env) {
  const value = input(name, env).toLowerCase();
  if (value === "") return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new Error(`input "${name}" must be true or false, not "${value}"`);
}

/**
 * The `fail-on` input as conditions: words separated by spaces, commas or lines.
 *
 * @param {string} text
 * @returns {string[]}
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { failOnList } from "./action_lib.mjs";
 * deepStrictEqual(failOnList("unexpected, blocklisted\nmalicious"), ["unexpected", "blocklisted", "malicious"]);
 * ```
 */
export function failOnList(text) {
  const words = text.split(/[\s,]+/).filter((word) => word !== "");
  for (const word of words) {
    if (!FAIL_ON.includes(word)) throw new Error(`fail-on: "${word}" is not one of ${FAIL_ON.join(", ")}`);
  }
  return words;
}

/**
 * True for a one-line input that names a file rather than an entry: a path
 * with a separator (a CIDR's `/bits` is not one) or a list file's extension.
 *
 * @param {string} text
 * @returns {boolean}
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { looksLikePath } from "./action_lib.mjs";
 * deepStrictEqual(["ci/allowed.txt", "allowed.txt", "C:\\lists\\x", "./x"].map(looksLikePath), [true, true, true, true]);
 * deepStrictEqual(["10.0.0.0/8", "2001:db8::/32", "github.com", "api.github.com:443"].map(looksLikePath),
 *   [false, false, false, false]);
 * ```
 */
export function looksLikePath(text) {
  if (/\s/.test(text.trim())) return false;
  if (/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(text)) return false;
  return /[\\/]/.test(text) || /\.(txt|list|lst|conf|cfg|netset|ipset)$/i.test(text);
}

/**
 * A list input (`expect`, `blocklist`): a path to a file readable now, or
 * the entries themselves, one a line. Returns the file to hand to conntrail,
 * writing the entries to `inline` when they were given inline; null when the
 * input is empty.
 *
 * @param {string} text
 * @param {{ workspace: string, inline: string, write: (path: string, text: string) => void }} options
 * @returns {string | null}
 */
export function listFile(text, options) {
  if (text === "") return null;
  if (!text.includes("\n")) {
    const path = isAbsolute(text) ? text : join(options.workspace, text);
    if (existsSync(path)) return path;
    if (looksLikePath(text)) {
      throw new Error(
        `"${text}" does not exist when the job starts (the pre step runs before actions/checkout); ` +
          "give the entries themselves, one a line",
      );
    }
  }
  options.write(options.inline, text.endsWith("\n") ? text : `${text}\n`);
  return options.inline;
}

/**
 * Fetch a release file: `https:`/`http:` through `fetch` (redirects followed), or
 * `file:` for a mirror on disk.
 *
 * @param {string} base the release's download URL, ending in `/`
 * @param {string} name
 * @returns {Promise<Uint8Array>}
 */
export async function download(base, name) {
  const url = new URL(name, base.endsWith("/") ? base : `${base}/`);
  if (url.protocol === "file:") {
    try {
      return new Uint8Array(readFileSync(fileURLToPath(url)));
    } catch (error) {
      throw new Error(`cannot read ${url}: ${error instanceof Error ? error.message : error}`);
    }
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`cannot download from "${url}": use an https, http or file URL`);
  }
  let response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new Error(`cannot download ${url}: ${error instanceof Error ? error.message : error}${cause}`);
  }
  if (!response.ok) throw new Error(`cannot download ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Where the release is downloaded from: the `release-url` input, else the
 * GitHub release of `version` (default: the action's own tag, else the latest).
 *
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { releaseBase } from "./action_lib.mjs";
 * deepStrictEqual(releaseBase({ GITHUB_ACTION_REPOSITORY: "conntrail/conntrail", GITHUB_ACTION_REF: "v1.2.0" }),
 *   "https://github.com/conntrail/conntrail/releases/download/v1.2.0/");
 * deepStrictEqual(releaseBase({ GITHUB_ACTION_REPOSITORY: "", GITHUB_REPOSITORY: "me/fork", GITHUB_ACTION_REF: "main" }),
 *   "https://github.com/me/fork/releases/latest/download/");
 * ```
 */
export function releaseBase(env) {
  const url = input("release-url", env);
  if (url !== "") return url.endsWith("/") ? url : `${url}/`;
  const repository = env.GITHUB_ACTION_REPOSITORY || env.GITHUB_REPOSITORY || "conntrail/conntrail";
  const ref = env.GITHUB_ACTION_REF ?? "";
  const version = input("version", env) || (/^v\d/.test(ref) ? ref : "latest");
  return version === "latest"
    ? `https://github.com/${repository}/releases/latest/download/`
    : `https://github.com/${repository}/releases/download/${version}/`;
}

/** The files of one audited job, all under `RUNNER_TEMP/conntrail`. */
export class WorkFiles {
  /** @param {string} runnerTemp */
  constructor(runnerTemp) {
    this.dir = join(runnerTemp, "conntrail");
    this.state = join(this.dir, "state.json");
    this.events = join(this.dir, "events.ndjson");
    this.log = join(this.dir, "conntrail.log");
    this.report = join(this.dir, "report.md");
    this.learned = join(this.dir, "expect-learned.txt");
    this.stop = join(this.dir, "stop");
    this.exitCode = join(this.dir, "exit-code");
    this.pid = join(this.dir, "conntrail.pid");
  }
}

/**
 * The work files of this job; fails with one sentence when `RUNNER_TEMP` is unset.
 *
 * @param {NodeJS.ProcessEnv} [env]
 */
export function workFiles(env = process.env) {
  const temp = env.RUNNER_TEMP;
  if (!temp) throw new Error("RUNNER_TEMP is not set: this runs as a GitHub Actions step");
  return new WorkFiles(temp);
}

/**
 * Set step outputs through `GITHUB_OUTPUT` (one `name=value` line each; paths hold no line breaks).
 *
 * @param {Record<string, string>} outputs
 * @param {NodeJS.ProcessEnv} [env]
 */
export function setOutputs(outputs, env = process.env) {
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  appendFileSync(file, Object.entries(outputs).map(([name, value]) => `${name}=${value}\n`).join(""));
}

/**
 * Escape a workflow command's message.
 *
 * @param {string} text
 * @returns {string}
 */
export function commandData(text) {
  return text.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/**
 * Wait until `done()` holds, checking every `everyMs`, for at most `timeoutMs`.
 *
 * @param {() => boolean} done
 * @param {number} timeoutMs
 * @param {number} [everyMs]
 * @returns {Promise<boolean>} whether it held
 */
export async function waitFor(done, timeoutMs, everyMs = 200) {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}
