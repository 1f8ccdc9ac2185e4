/**
 * The real monitor, end to end: spawned with the permission flags
 * `conntrail permissions --flags monitor` prints, watching loopback connections
 * this test opens and closes — piped (NDJSON) and under tmux (the dashboard).
 */
import { fileURLToPath } from "node:url";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { denoFlags, MONITOR_V8_FLAGS, monitorPermissions } from "../lib/permissions.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");
const FLAGS = [
  ...denoFlags(
    monitorPermissions({ collector: "auto", resolveNames: false, filterFile: [] }, "linux"),
  ),
  MONITOR_V8_FLAGS,
];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name: "monitor piped with --count and --format ndjson reports NEW and CLOSED for real loopback connections",
  ignore: !linuxWithSs,
  async fn() {
    const control = socketControl();
    try {
      const kept = await control.open(freshLoopback());
      const closed = await control.open(freshLoopback());
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          ...FLAGS,
          MAIN,
          "--count",
          "6",
          "-t",
          "0.5",
          "--format",
          "ndjson",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      await delay(1200);
      await control.close(closed.id);
      const output = await child.output();
      const stderr = new TextDecoder().decode(output.stderr);
      deepStrictEqual(output.code, 0, stderr);
      const events = new TextDecoder().decode(output.stdout).trim().split("\n").map((line) =>
        JSON.parse(line)
      );
      const about = (c: { port: number; client_port: number }, kind: string) =>
        events.filter((e) =>
          e.event === kind && e.local_port === c.client_port && e.remote_port === c.port &&
          e.remote_ip !== null
        );
      const started = about(kept, "NEW")[0];
      deepStrictEqual([started?.pid, started?.process_name, started?.direction], [
        control.pid,
        "python3",
        "outgoing",
      ]);
      ok(String(started?.process_path).includes("python3"), "no process path under the documented flags");
      deepStrictEqual(about(kept, "CLOSED").length, 0);
      deepStrictEqual(about(closed, "NEW").length, 1);
      const ended = [...about(closed, "CLOSED"), ...about(closed, "STATE")];
      ok(ended.length > 0, "the closed connection raised neither CLOSED nor STATE");
      match(stderr, /conntrail: 6 polls/);
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

async function screenUntil(session: string, test: (screen: string) => boolean, ms = 8000): Promise<string> {
  const end = Date.now() + ms;
  let screen = "";
  while (Date.now() < end) {
    screen = tmux("capture-pane", "-p", "-t", session);
    if (test(screen)) return screen;
    await delay(100);
  }
  return screen;
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
