/**
 * The README's pictures, made from the real program: `docs/dashboard.txt` (the
 * monitor's dashboard under tmux) and `docs/page.png` (`conntrail serve` in
 * headless Chromium). Everything runs in a network namespace of its own, so
 * the pictures show only the demonstration connections: programs named
 * firefox, curl and ssh (python3 under those names) talking to documentation
 * addresses (198.51.100.0/24, 203.0.113.0/24) given to the namespace's loopback.
 *
 * Usage (root, Linux, with tmux and chromium): deno run -A scripts/docs_captures.ts
 */
import { chromium } from "playwright-core";
import { COMMAND_V8_FLAGS } from "../lib/cli/permissions.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DOCS = `${ROOT}docs/`;
const decoder = new TextDecoder();

async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stderr: "piped", stdout: "piped" }).output();
  if (!out.success) throw new Error(`${program} ${args.join(" ")}: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The demonstration: listeners on documentation addresses, and named clients talking to them. */
const DEMO = `
import os, socket, sys, time
peers = [("198.51.100.20", 443), ("198.51.100.21", 443), ("203.0.113.7", 22), ("203.0.113.8", 8080)]
listeners = []
for ip, port in peers:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((ip, port)); s.listen(16)
    listeners.append(s)
print("ready", flush=True)
kept = []
while True:
    for s in listeners:
        s.settimeout(0.05)
        try:
            c = s.accept()[0]
            c.setblocking(False)
            kept.append(c)
        except OSError:
            pass
    for c in list(kept):
        try:
            if c.recv(1) == b"":
                c.close()
                kept.remove(c)
        except BlockingIOError:
            pass
`;

const CLIENT = `
import socket, sys, time
conns = []
for target in sys.argv[1:]:
    ip, port = target.split(":")
    conns.append(socket.create_connection((ip, int(port)), source_address=("198.51.100.10", 0)))
print("connected", flush=True)
sys.stdin.read()
`;

async function inside(): Promise<void> {
  await run("ip", ["link", "set", "lo", "up"]);
  for (const address of ["198.51.100.10", "198.51.100.20", "198.51.100.21", "203.0.113.7", "203.0.113.8"]) {
    await run("ip", ["addr", "add", `${address}/32`, "dev", "lo"]);
  }
  const bin = await Deno.makeTempDir({ prefix: "conntrail-docs-" });
  // The interpreter itself, not a wrapper that picks a program by the name it was called by (pyenv).
  const python = (await run("python3", ["-c", "import sys; print(sys.executable)"])).trim();
  const started: Deno.ChildProcess[] = [];
  const spawn = (name: string, code: string, args: string[] = []) => {
    const path = `${bin}/${name}`;
    Deno.symlinkSync(python, path);
    const child = new Deno.Command(path, { args: ["-c", code, ...args], stdin: "piped", stdout: "null" })
      .spawn();
    started.push(child);
    return child;
  };
  spawn("nginx", DEMO);
  await sleep(1000);
  spawn("firefox", CLIENT, ["198.51.100.20:443", "198.51.100.21:443", "198.51.100.20:443"]);
  spawn("ssh", CLIENT, ["203.0.113.7:22"]);
  await sleep(500);
  const flags = (await run(Deno.execPath(), [
    "run",
    "--quiet",
    COMMAND_V8_FLAGS,
    `${ROOT}main.ts`,
    "permissions",
    "--flags",
    "monitor",
  ])).trim().split(" ");
  const main = `${ROOT}main.ts`;

  // The dashboard, under tmux at a fixed size, with a connection that comes and one that goes.
  const session = `conntrail-docs-${Deno.pid}`;
  const command = [Deno.execPath(), "run", "--quiet", ...flags, main, "-t", "0.5", "-w", "40"].join(" ");
  // A tmux server of its own, started inside the namespace (a running one would run the monitor outside).
  const tmux = (...args: string[]) => run("tmux", ["-L", session, ...args]);
  await tmux("new-session", "-d", "-s", session, "-x", "132", "-y", "16", command);
  for (;;) {
    if ((await tmux("capture-pane", "-p", "-t", session)).includes("firefox")) break;
    await sleep(200);
  }
  await sleep(5000);
  const curl = spawn("curl", CLIENT, ["203.0.113.8:8080"]);
  await sleep(4000);
  await curl.stdin.close();
  await curl.status;
  await sleep(4000);
  const screen = await tmux("capture-pane", "-p", "-t", session);
  await Deno.writeTextFile(`${DOCS}dashboard.txt`, screen.replace(/\s+$/gm, "").trimEnd() + "\n");
  await tmux("send-keys", "-t", session, "q");
  await sleep(1000);
  await tmux("kill-server").catch(() => "");

  // The page, in headless Chromium.
  const serveFlags = (await run(Deno.execPath(), [
    "run",
    "--quiet",
    COMMAND_V8_FLAGS,
    main,
    "permissions",
    "--flags",
    "serve",
    "--port",
    "8377",
    "--store",
    "none",
  ])).trim().split(" ");
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...serveFlags, main, "serve", "--port", "8377", "--store", "none"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sleep(3000);
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto("http://127.0.0.1:8377/");
  await page.locator(".row.conn", { hasText: "198.51.100.20:443" }).first().waitFor();
  await sleep(3000);
  await page.locator(".row.conn", { hasText: "198.51.100.20:443" }).first().locator("input.pick").check();
  await sleep(1000);
  await page.screenshot({ path: `${DOCS}page.png` });
  await browser.close();
  serve.kill("SIGTERM");
  await serve.status;
  for (const child of started) {
    await child.stdin.close().catch(() => {});
    try {
      child.kill();
    } catch {
      // Already gone.
    }
    await child.status;
  }
  await Deno.remove(bin, { recursive: true });
}

if (Deno.args[0] === "--inside") {
  await inside();
} else {
  await Deno.mkdir(DOCS, { recursive: true });
  const namespace = `ctdocs${Deno.pid}`;
  await run("ip", ["netns", "add", namespace]);
  try {
    const child = new Deno.Command("ip", {
      args: [
        "netns",
        "exec",
        namespace,
        Deno.execPath(),
        "run",
        "-A",
        new URL(import.meta.url).pathname,
        "--inside",
      ],
    }).spawn();
    const status = await child.status;
    if (!status.success) throw new Error(`the captures failed (${status.code})`);
    console.log(`wrote ${DOCS}dashboard.txt and ${DOCS}page.png`);
  } finally {
    await run("ip", ["netns", "del", namespace]);
  }
}
