/**
 * A process for exit_at_once_test.ts: the real platform's signal handling, one program run for its output and
 * one spawned, both of which would run for good; it prints "ready" once both run, and a second SIGINT ends it.
 */
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();
platform.onSignals(() => console.log("stopping"), () => {});
const spawned = platform.programs.spawn("sleep", ["1001"], {});
const output = platform.programs.output("sleep", ["1002"], {});
console.log("ready");
await Promise.all([spawned.status, output]);
