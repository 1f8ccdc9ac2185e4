// @ts-check
/**
 * Runs conntrail for the whole job, detached from the pre step: stdout to the
 * NDJSON file, stderr to the log, and its exit code to a file when it ends, so
 * that the post step (which is not conntrail's parent) can read it.
 *
 *   node supervise.mjs RUNNER_TEMP COMMAND [ARGS…]
 */
import { closeSync, openSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import { WorkFiles } from "./action_lib.mjs";

const [runnerTemp, command, ...args] = process.argv.slice(2);
if (runnerTemp === undefined || command === undefined) {
  console.error("usage: node supervise.mjs RUNNER_TEMP COMMAND [ARGS…]");
  process.exit(2);
}
const files = new WorkFiles(runnerTemp);
const stdout = openSync(files.events, "a");
const stderr = openSync(files.log, "a");
const child = spawn(command, args, { stdio: ["ignore", stdout, stderr], windowsHide: true });
closeSync(stdout);
closeSync(stderr);

/** @param {number} code */
function finish(code) {
  writeFileSync(files.exitCode, `${code}\n`);
}

child.on("spawn", () => writeFileSync(files.pid, `${child.pid}\n`));
child.on("error", (error) => {
  writeFileSync(files.log, `conntrail could not start: ${error.message}\n`, { flag: "a" });
  finish(1);
});
child.on("exit", (code, signal) => {
  /** @type {Record<string, number>} */
  const signals = /** @type {any} */ (constants.signals);
  finish(code ?? 128 + (signal === null ? 0 : signals[signal] ?? 0));
});
