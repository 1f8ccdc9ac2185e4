/**
 * The real monitor, end to end: spawned with the permission flags
 * `conntrail permissions --flags monitor` prints, watching loopback connections
 * this test opens and closes — piped (NDJSON) and under tmux (the dashboard).
 */
import { fileURLToPath } from "node:url";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { denoFlags, MONITOR_V8_FLAGS, monitorPermissions } from "../lib/permissions.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { spawnConntrail } from "./conntrail_process.ts";
import { waitFor } from "./waiting.ts";

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
function startMonitorInTmux(session: string, size: [number, number], args: string[], pidFile: string): void {
  // The words (Deno's path, flags, main.ts) hold no spaces or quotes.
  const command = [Deno.execPath(), "run", "--quiet", "--no-prompt", ...FLAGS, MAIN, ...args].join(" ");
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
    startMonitorInTmux(session, [140, 40], ["-t", "0.5", "-w", "40"], await Deno.makeTempFile());
    try {
      await screenUntil(session, (s) => s.includes("Interval: 0.5s"));
      const stays = await control.open(freshLoopback());
      const goes = await control.open(freshLoopback());
      await screenUntil(session, (s) => rowOf(s, goes.ip).includes("■■"));
      await control.close(goes.id);
      const screen = await screenUntil(session, (s) => rowOf(s, goes.ip).includes("CLOSED"));
      const staying = rowOf(screen, stays.ip);
      const gone = rowOf(screen, goes.ip);
      match(staying, /▲■+ \[ESTABLISHED/, screen);
      ok(!staying.includes("×"), screen);
      match(gone, /▲■+×·* \[CLOSED/, screen);
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
    const pidFile = await Deno.makeTempFile();
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
