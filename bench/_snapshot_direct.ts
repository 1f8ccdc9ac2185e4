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
const encoder = new TextEncoder();
const platform = denoPlatform();
const code = await runSnapshot(
  { format, listening: true, collector: "auto", input, save: false, traffic: false, store: "sqlite" },
  {
    ...platform,
    collector: createCollector("auto", { platform, input }),
    now: () => new Date(),
    write: async (text) => {
      const bytes = encoder.encode(text);
      try {
        for (let at = 0; at < bytes.length;) at += await Deno.stdout.write(bytes.subarray(at));
      } catch (error) {
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
        Deno.exit(0);
      }
    },
    warn: (line) => console.error(line),
    env: new Map(),
  },
);
Deno.exit(code);
