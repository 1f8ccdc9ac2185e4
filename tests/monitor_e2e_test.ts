/**
 * The real monitor, end to end: spawned with the permission flags
 * `conntrail permissions --flags monitor` prints, watching loopback connections
 * this test opens and closes — piped (NDJSON) and under tmux (the dashboard).
 */
import { fileURLToPath } from "node:url";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { denoFlags, MONITOR_V8_FLAGS, monitorPermissions } from "../lib/cli/permissions.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { permissionFlags, spawnConntrail } from "./conntrail_process.ts";
import { waitFor } from "./waiting.ts";
import { tempFile } from "./temp_dir.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const FLAGS = [
  ...denoFlags(
    monitorPermissions({ collector: "auto", resolveNames: false, filterFile: [] }, "linux"),
  ),
  MONITOR_V8_FLAGS,
];

Deno.test({
  name: "monitor piped with --format ndjson reports NEW and CLOSED for real loopback connections",
  ignore: !linuxWithSs,
  async fn() {
    const control = socketControl();
    try {
      const kept = await control.open(freshLoopback());
      const closed = await control.open(freshLoopback());
      const monitor = await spawnConntrail(["-t", "0.5", "--format", "ndjson"], { flags: FLAGS });
      const about = (c: { port: number; client_port: number }) => (e: Record<string, unknown>) =>
        e.local_port === c.client_port && e.remote_port === c.port && e.remote_ip !== null;
      await monitor.stdout.untilJson((e) => e.event === "NEW" && about(closed)(e), "NEW for the closing one");
      await control.close(closed.id);
      await monitor.stdout.untilJson(
        (e) => (e.event === "CLOSED" || e.event === "STATE") && about(closed)(e),
        "CLOSED or STATE for the closed connection",
      );
      const output = await monitor.stop();
      deepStrictEqual(output.code, 0, output.stderr);
      const events = monitor.stdout.json();
      const of = (c: { port: number; client_port: number }, kind: string) =>
        events.filter((e) => e.event === kind && about(c)(e));
      const started = of(kept, "NEW")[0];
      deepStrictEqual([started?.pid, started?.process_name, started?.direction], [
        control.pid,
        "python3",
        "outgoing",
      ]);
      ok(String(started?.process_path).includes("python3"), "no process path under the documented flags");
      deepStrictEqual(of(kept, "CLOSED").length, 0);
      deepStrictEqual(of(closed, "NEW").length, 1);
      match(output.stderr, /conntrail: \d+ polls/);
    } finally {
      await control.stop();
    }
  },
});

const withTmux = linuxWithSs && hasTool("tmux");

function tmux(...args: string[]): string {
  const out = new Deno.Command("tmux", { args }).outputSync();
  return new TextDecoder().decode(out.stdout);
}

/** The pane's text once `test` holds for it. */
function screenUntil(session: string, test: (screen: string) => boolean): Promise<string> {
  return waitFor(() => {
    const screen = tmux("capture-pane", "-p", "-t", session);
    return test(screen) ? screen : null;
  }, `a screen of tmux session ${session} that passes ${test}`);
}

/**
 * Start the monitor in a detached tmux session of the given size; its pid goes to `pidFile`. When it ends,
 * the pane prints `EXITED <code>` and stays open for the test to read.
 */
function startMonitorInTmux(
  session: string,
  size: [number, number],
  args: string[],
  pidFile: string,
  flags: readonly string[] = FLAGS,
): void {
  // The words (Deno's path, flags, main.ts) hold no spaces or quotes.
  const command = [Deno.execPath(), "run", "--quiet", "--no-prompt", ...flags, MAIN, ...args].join(" ");
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    String(size[0]),
    "-y",
    String(size[1]),
    `sh -c 'echo $$ > ${pidFile}; exec ${command}'; echo "EXITED $?"; sleep 60`,
  );
}

function rowOf(screen: string, ip: string): string {
  return screen.split("\n").find((line) => line.startsWith(`${ip} `)) ?? "";
}

Deno.test({
  name: "monitor under tmux draws ▲, ■ and × in the rows of real connections, and q restores the terminal",
  ignore: !withTmux,
  async fn() {
    const session = `conntrail-e2e-${Deno.pid}`;
    const control = socketControl();
    await using pidFile = await tempFile();
    startMonitorInTmux(session, [140, 40], ["-t", "0.5", "-w", "40"], pidFile.path);
    try {
      await screenUntil(session, (s) => s.includes("Interval: 0.5s"));
      const stays = await control.open(freshLoopback());
      const goes = await control.open(freshLoopback());
      // Present cells: ■ when bytes moved in the time unit, □ when the open connection was idle (--traffic).
      await screenUntil(session, (s) => /[■□]{2}/.test(rowOf(s, goes.ip)));
      await control.close(goes.id);
      const screen = await screenUntil(session, (s) => rowOf(s, goes.ip).includes("CLOSED"));
      const staying = rowOf(screen, stays.ip);
      const gone = rowOf(screen, goes.ip);
      match(staying, /▲[■□]+ \[ESTABLISHED/, screen);
      ok(!staying.includes("×"), screen);
      match(gone, /▲[■□]+×·* \[CLOSED/, screen);
      match(gone, /python3 \(\d+\)/);
      deepStrictEqual(tmux("display", "-p", "-t", session, "#{alternate_on}").trim(), "1");
      tmux("send-keys", "-t", session, "q");
      const after = await screenUntil(session, (s) => s.includes("EXITED"));
      match(after, /conntrail: \d+ polls/);
      match(after, /EXITED 0/);
      deepStrictEqual(tmux("display", "-p", "-t", session, "#{alternate_on}").trim(), "0");
      await control.close(stays.id);
    } finally {
      tmux("kill-session", "-t", session);
      await control.stop();
    }
  },
});

Deno.test({
  name: "monitor under tmux restores the terminal and prints its summary on SIGTERM",
  ignore: !withTmux,
  async fn() {
    const session = `conntrail-term-${Deno.pid}`;
    await using pidFileTemp = await tempFile();
    const pidFile = pidFileTemp.path;
    startMonitorInTmux(session, [120, 30], ["-t", "0.5"], pidFile);
    try {
      await screenUntil(session, (s) => s.includes("Interval: 0.5s"));
      deepStrictEqual(tmux("display", "-p", "-t", session, "#{alternate_on}").trim(), "1");
      Deno.kill(Number((await Deno.readTextFile(pidFile)).trim()), "SIGTERM");
      const after = await screenUntil(session, (s) => s.includes("EXITED"));
      match(after, /conntrail: \d+ polls/);
      match(after, /EXITED 0/);
      deepStrictEqual(tmux("display", "-p", "-t", session, "#{alternate_on}").trim(), "0");
    } finally {
      tmux("kill-session", "-t", session);
    }
  },
});

Deno.test({
  name:
    "dashboard under tmux: real keys filter, sort by address number, scroll, show the keys, and pin an alert",
  ignore: !withTmux,
  async fn() {
    const session = `conntrail-keys-${Deno.pid}`;
    const control = socketControl();
    const dir = await Deno.makeTempDir();
    const prefix = freshLoopback().split(".").slice(0, 3).join(".");
    const blocklist = `${dir}/ips.txt`;
    await Deno.writeTextFile(blocklist, `${prefix}.7\n`);
    const args = ["-t", "0.5", "-w", "20", "--store", "none", "--blocklist", blocklist, "--include-private"];
    const flags = await permissionFlags(dir, ["monitor", ...args]);
    await using pidFile = await tempFile();
    startMonitorInTmux(session, [110, 12], args, pidFile.path, flags);
    // A screen that never comes fails with the screen there was.
    const see = async (test: (screen: string) => boolean) => {
      try {
        return await screenUntil(session, test);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${tmux("capture-pane", "-p", "-t", session)}`);
      }
    };
    const rowsOf = (screen: string) =>
      screen.split("\n").slice(4, -1).filter((line) => line.startsWith(prefix));
    try {
      await see((s) => s.includes("Interval: 0.5s"));
      for (let host = 1; host <= 12; host++) await control.open(`${prefix}.${host}`);
      tmux("send-keys", "-t", session, "s", "s", "/", ...`${prefix}.`.split(""), "Enter");
      // The screen drawn before the keys arrive may already list every row, in the order of activity and
      // unfiltered: wait for the keys' effect too, the sort in the header and the filter, typed and kept, in
      // the status line (the header's `Filter: /…` comes after the counts and may be cut).
      const filtered = new RegExp(` \\| /${prefix.replaceAll(".", "\\.")}\\.: \\d+ hidden \\(Esc clears\\)`);
      const keysApplied = (s: string) => s.includes("Sort: name") && filtered.test(s);
      // Wait until a poll has listed both sockets of .1 (its connection and its listener): a poll taken while
      // the test was still opening them shows one, which is not an order to check.
      const first = await see((s) =>
        keysApplied(s) && /ALERTS: [12] /.test(s) && rowsOf(s).length >= 6 &&
        rowsOf(s).filter((r) => r.startsWith(`${prefix}.1 `)).length === 2
      );
      const rows = rowsOf(first);
      // Pinned on top, with its reason, whatever the order.
      match(rows[0] ?? "", new RegExp(`^${prefix.replaceAll(".", "\\.")}\\.7 .*\\[ALERT blocklist `), first);
      // Then by number: .1, .1 (listening), .2, …: .10 comes after .9, not after .1.
      deepStrictEqual(rows.slice(1, 4).map((r) => r.split(" ")[0]), [
        `${prefix}.1`,
        `${prefix}.1`,
        `${prefix}.2`,
      ]);
      tmux("send-keys", "-t", session, "End");
      // The listening row of .12 is last; its label may be cut to the column (`.12 (…`) when the prefix is long.
      const end = await see((s) =>
        rowsOf(s).some((r) => r.startsWith(`${prefix}.12 `) && r.includes("[LISTEN"))
      );
      ok(rowsOf(end)[0]?.startsWith(`${prefix}.7 `), `the alert left the top:\n${end}`);
      match(end, /showing \d+–\d+/);
      tmux("send-keys", "-t", session, "Home");
      await see((s) => rowsOf(s)[1]?.startsWith(`${prefix}.1 `) ?? false);
      tmux("send-keys", "-t", session, "?");
      await see((s) => s.includes("PgUp PgDn"));
      tmux("send-keys", "-t", session, "x");
      await see((s) => !s.includes("PgUp PgDn       scroll"));
      tmux("send-keys", "-t", session, "q");
      const after = await see((s) => s.includes("EXITED"));
      // One alert per (address, process): ss may list a socket before its owner, which makes two.
      match(after, new RegExp(`\nalerts \\([12]\\):\n {2}ALERT TCP ${prefix.replaceAll(".", "\\.")}\\.7:`));
      match(after, /EXITED 0/);
    } finally {
      tmux("kill-session", "-t", session);
      await control.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
