/**
 * `--sniff-dns` end to end: in a network namespace of the test's own, a DNS
 * server on a loopback address (port 53) answers two names with addresses that
 * live in a second namespace, joined by a veth pair; a Python program asks for
 * each name and connects. The real monitor, under the flags `conntrail
 * permissions` prints and with the real tcpdump, gives each connection the
 * domain it asked for, and `--expect` holding only `*.allowed.example` turns
 * the other into an UNEXPECTED alert naming its domain, and exit code 3.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { permissionFlags } from "./conntrail_process.ts";
import { DNS_CONNECT, startDnsAnswerServer } from "./dns_answer_server.ts";
import { spawnLines } from "./line_process.ts";
import { canCreateNamespaces, createNamespace, type TestNamespace } from "./network_namespace.ts";
import { hasTool } from "./open_sockets.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const ready = canCreateNamespaces() && hasTool("tcpdump") && hasTool("python3") && hasTool("ss");

/** The far namespace: 203.0.113.10 and .20 on a veth, a server holding whatever connects to port 443. */
async function farSide(near: TestNamespace, far: TestNamespace): Promise<() => Promise<void>> {
  await near.run([
    "ip",
    "link",
    "add",
    "ct18near",
    "type",
    "veth",
    "peer",
    "name",
    "ct18far",
    "netns",
    far.name,
  ]);
  await near.run(["ip", "addr", "add", "203.0.113.1/24", "dev", "ct18near"]);
  await near.run(["ip", "link", "set", "ct18near", "up"]);
  await far.run(["ip", "addr", "add", "203.0.113.10/24", "dev", "ct18far"]);
  await far.run(["ip", "addr", "add", "203.0.113.20/24", "dev", "ct18far"]);
  await far.run(["ip", "link", "set", "ct18far", "up"]);
  const server = spawnLines(far.exec([
    "python3",
    "-c",
    "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" +
    "s.bind(('0.0.0.0', 443))\ns.listen(16)\nprint('ready', flush=True)\nheld = []\n" +
    "while True:\n    held.append(s.accept()[0])\n",
  ]));
  await server.stdout.until((line) => line === "ready", "the far server");
  return async () => void await server.stop();
}

Deno.test({
  name:
    "monitor --sniff-dns gives connections the domain asked of a loopback resolver; --expect *.allowed.example exits 3 naming the other",
  ignore: !ready,
  sanitizeResources: false,
  async fn() {
    const near = await createNamespace("ct18d");
    const far = await createNamespace("ct18s");
    const work = await Deno.makeTempDir();
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      cleanups.push(await farSide(near, far));
      const dns = await startDnsAnswerServer(
        ["ok.allowed.example=203.0.113.10", "api.blocked.example=203.0.113.20@edge.cdn.example"],
        near.exec,
      );
      cleanups.push(dns.stop);
      const expect = join(work, "expect.txt");
      await Deno.writeTextFile(expect, "# only these\n*.allowed.example\n");
      const args = [
        "monitor",
        "--scroll",
        "--format",
        "ndjson",
        "-t",
        "0.5",
        "--sniff-dns",
        "--expect",
        expect,
        "--fail-on",
        "unexpected",
        "--store",
        "none",
      ];
      const flags = await permissionFlags(work, args);
      ok(flags.some((flag) => flag.startsWith("--allow-run=") && flag.includes("tcpdump")), flags.join(" "));
      const monitor = spawnLines(
        near.exec([Deno.execPath(), "run", "--quiet", "--no-prompt", ...flags, MAIN, ...args]),
        { NO_COLOR: "1", XDG_DATA_HOME: work },
      );
      cleanups.push(() => monitor.stop());
      await monitor.stderr.until((line) => /^note: DNS answers: tcpdump/.test(line), "tcpdump listening");

      const connected: Record<string, { ip: string; local_port: number }> = {};
      for (const name of ["ok.allowed.example", "api.blocked.example"]) {
        const client = spawnLines(near.exec(["python3", DNS_CONNECT, dns.address, name, "443"]));
        cleanups.push(() => client.stop());
        connected[name] = JSON.parse(
          await client.stdout.until((line) => line.startsWith("{"), `${name} connected`),
        );
      }
      const blocked = connected["api.blocked.example"];
      const allowed = connected["ok.allowed.example"];
      deepStrictEqual([allowed?.ip, blocked?.ip], ["203.0.113.10", "203.0.113.20"]);

      const alert = await monitor.stdout.untilJson((e) => e.event === "ALERT", "the UNEXPECTED alert");
      await monitor.stdout.untilJson(
        (e) => e.event === "NEW" && e.local_port === allowed?.local_port,
        "the allowed connection",
      );
      const code = await monitor.stop();
      const stderr = monitor.stderr.text;
      deepStrictEqual(code, 3, stderr);
      deepStrictEqual(
        [alert.remote_ip, alert.domain, alert.reason],
        [
          "203.0.113.20",
          "api.blocked.example",
          `UNEXPECTED destination api.blocked.example (not in ${expect})`,
        ],
      );
      const events = monitor.stdout.json();
      const opened = (port: number | undefined) =>
        events.find((e) => e.event === "NEW" && e.local_port === port && e.remote_port === 443);
      deepStrictEqual(opened(blocked?.local_port)?.domain, "api.blocked.example");
      deepStrictEqual(opened(allowed?.local_port)?.domain, "ok.allowed.example");
      deepStrictEqual(
        events.filter((e) => e.event === "ALERT").length,
        1,
        "the allowed connection raised no alert",
      );
      match(stderr, /--fail-on unexpected: 1 alert; exit code 3/);
      match(stderr, /note: DNS: \d+ answers read/);
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      await near.remove().catch(() => {});
      await far.remove().catch(() => {});
      await Deno.remove(work, { recursive: true });
    }
  },
});
