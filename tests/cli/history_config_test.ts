import { deepStrictEqual } from "node:assert/strict";
import { historyLocation } from "../../lib/cli/history_config.ts";
import { permissionsForCommand } from "../../lib/cli/permissions_command.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { denoFlags } from "../../lib/cli/permissions.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

/** Linux, with this run's environment (as the "permissions" command reads it). */
const LINUX = { os: "linux" as const, readEnv: denoPlatform().readEnv };

Deno.test("historyLocation() puts the JSON store where HISTORY_FILE, CONN_RECORD_FILE and ABUSEIP_INFO_FILE say", () => {
  const env = new Map([
    ["HOME", "/home/ana"],
    ["HISTORY_FILE", "/srv/rep/ip_history.json"],
    ["CONN_RECORD_FILE", "/srv/rep/conns.json"],
  ]);
  deepStrictEqual(historyLocation({ store: "json" }, env, "linux"), {
    kind: "json",
    files: {
      history: "/srv/rep/ip_history.json",
      connections: "/srv/rep/conns.json",
      abuseInfo: "/home/ana/.local/share/conntrail/abuseip_info.json",
      alerts: "/srv/rep/conntrail_alerts.json",
      snapshots: "/srv/rep/conntrail_snapshots.json",
    },
    scope: ["/srv/rep", "/home/ana/.local/share/conntrail"],
  });
  deepStrictEqual(historyLocation({ store: "json" }, new Map(), "linux").kind, "unknown");
  deepStrictEqual(historyLocation({ store: "none" }, env, "linux"), { kind: "none" });
  deepStrictEqual(
    historyLocation(
      { store: "sqlite" },
      new Map([["LOCALAPPDATA", "C:\\Users\\ana\\AppData\\Local"]]),
      "windows",
    ),
    {
      kind: "sqlite",
      path: "C:\\Users\\ana\\AppData\\Local\\conntrail/history.db",
      scope: ["C:\\Users\\ana\\AppData\\Local\\conntrail"],
    },
  );
});

Deno.test("permissions of history commands: read for history and diff, write for prune and snapshot --save, none for --store none", () => {
  const flags = (args: string[]) => denoFlags(permissionsForCommand(parseArgs(args), LINUX)).join(" ");
  const env = "--allow-env=XDG_DATA_HOME,HOME,HISTORY_FILE,CONN_RECORD_FILE,ABUSEIP_INFO_FILE";
  deepStrictEqual(flags(["history", "--db", "h.db"]), `${env} --allow-read=h.db`);
  deepStrictEqual(flags(["diff", "--db", "h.db"]), `${env} --allow-read=h.db`);
  deepStrictEqual(
    flags(["history", "prune", "--older-than", "30d", "--db", "h.db"]),
    `${env} --allow-read=h.db --allow-write=h.db`,
  );
  deepStrictEqual(
    flags(["snapshot", "--save", "--db", "h.db"]),
    `${env} --allow-read=/etc/passwd,h.db --allow-run=ss,cat,find --allow-sys=uid --allow-write=h.db`,
  );
  deepStrictEqual(flags(["snapshot"]), "--allow-read=/etc/passwd --allow-run=ss,cat,find --allow-sys=uid");
  const monitor = flags(["monitor", "--store", "none"]);
  deepStrictEqual(monitor.includes("--allow-write"), false, monitor);
  deepStrictEqual(flags(["monitor", "--db", "h.db"]).includes("--allow-write=h.db"), true);
});
