import { deepStrictEqual } from "node:assert/strict";
import type { CommandIo } from "../../lib/cli/command_io.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { runServe } from "../../lib/cli/serve_command.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { scripted } from "./_monitor_io.ts";

Deno.test("runServe() stopped while its session opens serves nothing, and ends with 0", async () => {
  const command = parseArgs(["serve", "--port", "0", "--store", "none", "--no-traffic"]);
  if (command.kind !== "serve") throw new Error(`not serve: ${JSON.stringify(command)}`);
  const platform = denoPlatform();
  const listened: number[] = [];
  let out = "";
  const io: CommandIo = {
    ...platform,
    collector: scripted([[]]),
    stdout: (text) => {
      out += text;
      return Promise.resolve();
    },
    stderr: () => {},
    // The signal comes as soon as the command listens for it: before the session has opened.
    onSignals: (stop) => {
      stop();
      return () => {};
    },
    // Deno.serve given a signal that has aborted already serves on for good: a server here would never end.
    network: {
      ...platform.network,
      serve: (options) => {
        listened.push(options.port);
        return { port: 8377, finished: Promise.resolve() };
      },
    },
  };
  deepStrictEqual(await runServe(command.options, io), 0);
  deepStrictEqual([listened, out], [[], ""]);
});
