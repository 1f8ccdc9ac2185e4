/**
 * The README's picture of `conntrail serve` (docs/serve_page.png), taken in
 * headless Chromium on a small network built for it: Linux, as root.
 *
 *   deno run -A scripts/serve_screenshot.ts [OUT.png] [--width 1280] [--height 900]
 *
 * Two network namespaces joined by a veth pair: "client", where the server,
 * the browser and real programs (curl, wget, ssh, openssl, node, python3) run,
 * and "peers", which holds public addresses (8.8.8.8, 1.1.1.1, …) and accepts
 * connections on them without answering, so each program keeps its
 * connection open. No packet leaves the machine. One peer (2.56.192.10) is in
 * the FireHOL excerpt of tests/fixtures, so the page shows an alert; 20
 * loopback connections give the list some length.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../tests/chromium.ts";
import { startServe } from "../tests/conntrail_process.ts";
import { startSocketFarm } from "../tests/socket_farm.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { width: { type: "string", default: "1280" }, height: { type: "string", default: "900" } },
  allowPositionals: true,
});
const out = positionals[0] ?? fileURLToPath(new URL("../docs/serve_page.png", import.meta.url));
const BLOCKED = "2.56.192.10";
/** Peers and the programs that connect to them. */
const PEERS: { ip: string; port: number; program: string[] }[] = [
  { ip: "8.8.8.8", port: 443, program: ["curl", "-sk", "--max-time", "900", "https://8.8.8.8/"] },
  { ip: "1.1.1.1", port: 443, program: ["curl", "-sk", "--max-time", "900", "https://1.1.1.1/"] },
  {
    ip: "151.101.1.69",
    port: 443,
    program: ["wget", "-q", "-T", "900", "-O", "/dev/null", "https://151.101.1.69/"],
  },
  {
    ip: "140.82.112.3",
    port: 22,
    program: ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "git@140.82.112.3"],
  },
  {
    ip: "13.107.42.14",
    port: 443,
    program: ["openssl", "s_client", "-quiet", "-connect", "13.107.42.14:443"],
  },
  { ip: "104.16.132.229", port: 443, program: [] },
  { ip: "185.199.108.153", port: 443, program: [] },
  { ip: "142.250.185.78", port: 443, program: [] },
  { ip: "91.189.91.39", port: 80, program: [] },
  { ip: BLOCKED, port: 443, program: [] },
];
const NODE_PEERS = PEERS.filter((p) => p.program.length === 0 && p.ip !== BLOCKED);

async function run(...args: string[]): Promise<void> {
  const output = await new Deno.Command(args[0]!, { args: args.slice(1), stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`${args.join(" ")}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
}

const tag = `ctshot${Deno.pid}`;
const client = `${tag}c`;
const peers = `${tag}p`;
const inClient = ["ip", "netns", "exec", client];
const inPeers = ["ip", "netns", "exec", peers];
const children: Deno.ChildProcess[] = [];
const dir = await Deno.makeTempDir();

function spawn(args: string[]): void {
  children.push(
    new Deno.Command(args[0]!, { args: args.slice(1), stdin: "piped", stdout: "null", stderr: "null" })
      .spawn(),
  );
}

try {
  await run("ip", "netns", "add", client);
  await run("ip", "netns", "add", peers);
  await run("ip", "link", "add", `${tag}a`, "type", "veth", "peer", "name", `${tag}b`);
  await run("ip", "link", "set", `${tag}a`, "netns", client);
  await run("ip", "link", "set", `${tag}b`, "netns", peers);
  await run(...inClient, "ip", "link", "set", "lo", "up");
  await run(...inPeers, "ip", "link", "set", "lo", "up");
  await run(...inClient, "ip", "addr", "add", "10.99.0.2/24", "dev", `${tag}a`);
  await run(...inPeers, "ip", "addr", "add", "10.99.0.1/24", "dev", `${tag}b`);
  await run(...inClient, "ip", "link", "set", `${tag}a`, "up");
  await run(...inPeers, "ip", "link", "set", `${tag}b`, "up");
  await run(...inClient, "ip", "route", "add", "default", "via", "10.99.0.1");
  for (const peer of PEERS) await run(...inPeers, "ip", "addr", "add", `${peer.ip}/32`, "dev", "lo");
  // The peers accept and hold every connection, saying nothing.
  spawn([
    ...inPeers,
    "python3",
    "-c",
    "import socket,threading\nkeep=[]\ndef serve(port):\n s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n" +
    " s.bind(('0.0.0.0',port));s.listen(64)\n while True: keep.append(s.accept()[0])\n" +
    "for p in (22,80,443): threading.Thread(target=serve,args=(p,),daemon=True).start()\n" +
    "import sys;sys.stdin.read()",
  ]);
  const list = `${dir}/firehol_level1_head120.netset`;
  await Deno.copyFile(
    new URL("../tests/fixtures/blocklists/firehol_level1_head120.netset", import.meta.url),
    list,
  );
  const farm = await startSocketFarm(20, 2, { prefix: inClient });
  spawn([...inClient, "python3", "-m", "http.server", "--bind", "127.0.0.1", "8080"]);
  const serve = await startServe(dir, ["--store", "none", "--blocklist", list], { prefix: inClient });
  const browser = await launchChromium({
    width: Number(values.width),
    height: Number(values.height),
    netnsPrefix: inClient,
  });
  try {
    await browser.page.goto(serve.url.href);
    await browser.page.locator("#status", { hasText: "updated" }).waitFor({ timeout: 60_000 });
    // The programs start one after another, so the chart has a slope to show.
    for (const peer of PEERS) {
      if (peer.program.length > 0) spawn([...inClient, ...peer.program]);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    spawn([
      ...inClient,
      "node",
      "-e",
      `for (const ip of ${
        JSON.stringify(NODE_PEERS.map((p) => [p.ip, p.port]))
      }) require("net").connect(ip[1], ip[0]);` +
      "setInterval(() => {}, 1e6)",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    spawn([
      ...inClient,
      "python3",
      "-c",
      `import socket,sys\ns=socket.create_connection(('${BLOCKED}',443))\nsys.stdin.read()`,
    ]);
    await browser.page.locator("#recent-alerts a.alert-link").first().waitFor({ timeout: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await browser.page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${out}`);
  } finally {
    await browser.close();
    await serve.stop();
    await farm.stop();
  }
} finally {
  for (const child of children) {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.stdin.close().catch(() => {});
    await child.status;
  }
  await run("ip", "netns", "del", client).catch(() => {});
  await run("ip", "netns", "del", peers).catch(() => {});
  await Deno.remove(dir, { recursive: true });
}
