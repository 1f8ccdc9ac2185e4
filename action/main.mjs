// @ts-check
/**
 * The action's main step, where `uses:` stands: conntrail already runs (the
 * pre step started it); this sets the outputs, so that a later step can
 * upload the NDJSON while the job goes on.
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { commandData, setOutputs, workFiles } from "./action_lib.mjs";

try {
  const files = workFiles();
  setOutputs({ ndjson: files.events, report: files.report, "expect-file": files.learned });
  if (!existsSync(files.state)) {
    console.log("::warning title=conntrail::conntrail was not started (see the pre step)");
  } else if (existsSync(files.exitCode)) {
    console.log(
      `::warning title=conntrail::conntrail stopped early, exit code ${
        readFileSync(files.exitCode, "utf8").trim()
      }`,
    );
  } else {
    console.log(`conntrail is watching this job; events go to ${files.events}, the report comes at the end`);
  }
} catch (error) {
  console.log(
    `::error title=conntrail::${commandData(error instanceof Error ? error.message : String(error))}`,
  );
  process.exitCode = 1;
}
