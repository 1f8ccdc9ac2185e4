// @ts-check
/**
 * The action's pre step, at the start of the job: download the release binary
 * for this runner, check its SHA-256 against the release's SHA256SUMS, and
 * start it, detached, to watch the whole job (see supervise.mjs).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import {
  booleanInput,
  commandData,
  download,
  expectedSha256,
  failOnList,
  input,
  listFile,
  releaseBase,
  releaseTarget,
  sha256Hex,
  waitFor,
  workFiles,
} from "./action_lib.mjs";

/** How long the pre step waits for conntrail's first poll. */
const START_WAIT_MS = 60_000;

/** @param {string} path */
function sizeOf(path) {
  return existsSync(path) ? statSync(path).size : 0;
}

async function run() {
  const env = process.env;
  const files = workFiles(env);
  const target = releaseTarget(env.RUNNER_OS, env.RUNNER_ARCH);
  if (target === null) {
    throw new Error(
      `no conntrail binary is built for ${env.RUNNER_OS} ${env.RUNNER_ARCH}; ` +
        "runners: Linux X64/ARM64, macOS X64/ARM64, Windows X64",
    );
  }
  // Read every input before anything is downloaded or started: a typo fails at once.
  const failOn = failOnList(input("fail-on"));
  const trace = booleanInput("trace", false);
  const sniffDns = booleanInput("sniff-dns", false);
  const sudo = booleanInput("sudo", true);

  rmSync(files.dir, { recursive: true, force: true });
  mkdirSync(files.dir, { recursive: true });
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const write = (/** @type {string} */ file, /** @type {string} */ text) => writeFileSync(file, text);
  const args = [
    "monitor",
    "--scroll",
    "--format",
    "ndjson",
    "--store",
    "none",
    "--report",
    files.report,
    "--write-expect",
    files.learned,
    "--stop-file",
    files.stop,
  ];
  const expect = listFile(input("expect"), { workspace, inline: join(files.dir, "expect.txt"), write });
  if (expect !== null) args.push("--expect", expect);
  const blocklist = listFile(input("blocklist"), {
    workspace,
    inline: join(files.dir, "blocklist.txt"),
    write,
  });
  if (blocklist !== null) args.push("--blocklist", blocklist);
  for (const condition of failOn) args.push("--fail-on", condition);
  if (trace) args.push("--trace");
  if (sniffDns) args.push("--sniff-dns");

  const base = releaseBase(env);
  const [binary, sums] = await Promise.all([download(base, target.file), download(base, "SHA256SUMS")]);
  const expected = expectedSha256(new TextDecoder().decode(sums), target.file);
  if (expected === null) throw new Error(`${base}SHA256SUMS lists no ${target.file}; refusing to run it`);
  const actual = sha256Hex(binary);
  if (actual !== expected) {
    throw new Error(
      `the SHA-256 of ${target.file} is ${actual}, but SHA256SUMS says ${expected}; refusing to run it`,
    );
  }
  const path = join(files.dir, target.file);
  writeFileSync(path, binary, { mode: 0o755 });
  console.log(`conntrail: ${target.file} from ${base}, SHA-256 ${actual} matches SHA256SUMS`);

  // Root sees every user's sockets with their processes, and may trace; GitHub's runners allow sudo.
  const elevate = sudo && process.platform !== "win32" && process.getuid?.() !== 0 &&
    spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  const command = elevate ? ["sudo", "-n", "-E", "--", path, ...args] : [path, ...args];
  // The pre step's own files are gone once it ends: conntrail must not write to them.
  const childEnv = { ...env };
  for (const name of ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_PATH"]) {
    delete childEnv[name];
  }
  const supervisor = spawn(
    process.execPath,
    [fileURLToPath(new URL("./supervise.mjs", import.meta.url)), env.RUNNER_TEMP ?? "", ...command],
    { detached: true, stdio: "ignore", env: childEnv, windowsHide: true },
  );
  supervisor.unref();
  writeFileSync(files.state, JSON.stringify({ supervisor: supervisor.pid, command }, null, 2) + "\n");

  const started = await waitFor(() => existsSync(files.exitCode) || sizeOf(files.events) > 0, START_WAIT_MS);
  if (existsSync(files.exitCode)) {
    const log = existsSync(files.log) ? readFileSync(files.log, "utf8").trim() : "";
    throw new Error(
      `conntrail ended at its start with exit code ${readFileSync(files.exitCode, "utf8").trim()}: ${log}`,
    );
  }
  if (!started) console.log("::warning title=conntrail::conntrail reported nothing in its first minute");
  console.log(`conntrail is watching this job: ${command.join(" ")}`);
}

run().catch((error) => {
  console.log(
    `::error title=conntrail::${commandData(error instanceof Error ? error.message : String(error))}`,
  );
  process.exitCode = 1;
});
