// @ts-check
/**
 * The action's post step, at the end of the job: stop conntrail (it watches
 * for the stop file; no signal is needed, which Windows could not send
 * anyway), show its log (alerts become annotations there), append its report
 * and the destinations it learned to the job summary, and fail the job when a
 * `fail-on` condition was met.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { commandData, setOutputs, waitFor, workFiles } from "./action_lib.mjs";

/** How long conntrail may take to stop and write its report. */
const STOP_WAIT_MS = 60_000;

/** @param {string} path */
function readIfThere(path) {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/**
 * The learned `--expect` list as a folded block of the summary; the fence is
 * longer than any run of backticks in the list, so nothing in it ends the block.
 *
 * @param {string} list
 */
function learnedBlock(list) {
  const longest = Math.max(2, ...[...list.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return [
    "<details><summary>Every destination of this job, as an <code>expect</code> list</summary>",
    "",
    `${fence}text`,
    list.trimEnd(),
    fence,
    "",
    "</details>",
    "",
  ].join("\n");
}

/**
 * End a conntrail that ignored the stop file (with sudo when it runs as root).
 *
 * @param {import("./action_lib.mjs").WorkFiles} files
 */
function stopByForce(files) {
  const pid = Number(readIfThere(files.pid)?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid);
  } catch {
    spawnSync("sudo", ["-n", "kill", String(pid)], { stdio: "ignore" });
  }
}

async function run() {
  const env = process.env;
  const files = workFiles(env);
  setOutputs({ ndjson: files.events, report: files.report, "expect-file": files.learned }, env);
  if (!existsSync(files.state)) {
    console.log("conntrail was not started (see the pre step): nothing to report");
    return;
  }
  if (!existsSync(files.exitCode)) writeFileSync(files.stop, "");
  const stopped = await waitFor(() => existsSync(files.exitCode), STOP_WAIT_MS);
  const log = readIfThere(files.log) ?? "";
  console.log("::group::conntrail log");
  process.stdout.write(log.endsWith("\n") || log === "" ? log : `${log}\n`);
  console.log("::endgroup::");
  if (!stopped) {
    stopByForce(files);
    throw new Error(`conntrail did not stop within ${STOP_WAIT_MS / 1000} s of ${files.stop}; it was killed`);
  }

  const report = readIfThere(files.report);
  const learned = readIfThere(files.learned);
  if (env.GITHUB_STEP_SUMMARY && report !== null) {
    appendFileSync(env.GITHUB_STEP_SUMMARY, `${report}\n${learned === null ? "" : learnedBlock(learned)}`);
  }
  const code = Number(readFileSync(files.exitCode, "utf8").trim());
  if (code === 3) {
    const met = /--fail-on ([a-z, ]+):/.exec(log)?.[1] ?? "a fail-on condition";
    throw new Error(`--fail-on ${met} was met; see the annotations and the job summary`);
  }
  if (code !== 0) throw new Error(`conntrail ended with exit code ${code}; see its log above`);
  if (report === null) throw new Error(`conntrail wrote no report to ${files.report}`);
}

run().catch((error) => {
  console.log(
    `::error title=conntrail::${commandData(error instanceof Error ? error.message : String(error))}`,
  );
  process.exitCode = 1;
});
