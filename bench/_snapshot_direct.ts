/**
 * `conntrail snapshot` without main.ts: the snapshot command and its collector called directly, for
 * table_bench.ts to show what the command line parsing and its modules add to a one-shot snapshot.
 *
 *   deno run <snapshot's flags> bench/_snapshot_direct.ts table|json [CAPTURE]
 */
import { runSnapshot } from "../lib/cli/snapshot_command.ts";
import { createCollector } from "../lib/collect/create_collector.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const format = Deno.args[0] === "json" ? "json" : "table";
const input = Deno.args[1];
const platform = denoPlatform();
const code = await runSnapshot(
  { format, listening: true, collector: "auto", input, save: false, traffic: false, store: "sqlite" },
  // Read as the command reads it (once; paths only for json), which an io's own collector is not told.
  {
    ...platform,
    collector: createCollector("auto", { platform, input, once: true, processPaths: format !== "table" }),
  },
);
Deno.exit(code);
