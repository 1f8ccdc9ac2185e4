/**
 * `--syslog` end to end: the real monitor, under the permission flags
 * `conntrail permissions` prints (with `--allow-net` narrowed to the
 * receivers), sends its events for loopback connections this test opens and
 * closes to a real rsyslogd (tests/rsyslog_server.ts) over UDP, TCP and TLS.
 * The test reads what rsyslog parsed and wrote: the RFC 5424 header fields and
 * the JSON message, byte for byte the line the monitor printed. The README's
 * rsyslog configuration is run as written.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { ecsProblems } from "./render/_ecs_schema.ts";
import { ocsfProblems } from "./render/_ocsf_schema.ts";
import { permissionFlags } from "./conntrail_process.ts";
import { startConntrail } from "./live_process.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { HAS_RSYSLOG, hasRsyslogTls, type ReceivedMessage, startRsyslog } from "./rsyslog_server.ts";
import { SyslogOutput } from "../lib/monitor/syslog_output.ts";
import { waitFor } from "./waiting.ts";
import { parseSyslogUrl } from "../lib/parse/syslog_url.ts";
import { SyslogSink } from "../lib/store/syslog_sink.ts";
import { syslogConnector } from "../lib/store/syslog_transport.ts";
import { denoPlatform } from "../lib/platform/deno_platform.ts";

const platform = denoPlatform();
const connect = syslogConnector(platform.network);

const READY = HAS_RSYSLOG && hasTool("ss") && hasTool("python3");
const HOSTNAME = Deno.hostname();
const HEADER = /^<(\d+)>1 (\S+) (\S+) conntrail (\d+) (NEW|CLOSED|STATE|ALERT|STATUS) - /;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/**
 * The flags `permissions --flags` prints, with the optional unscoped `--allow-net` (block-list domains,
 * AbuseIPDB, DNS) left out: what remains must be enough, the syslog receivers' scoped entries included.
 */
async function narrowFlags(dataHome: string, args: string[], receivers: string): Promise<string[]> {
  const flags = await permissionFlags(dataHome, ["monitor", ...args]);
  const table = new TextDecoder().decode(
    (await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-env",
        new URL("../main.ts", import.meta.url).pathname,
        "permissions",
        "monitor",
        ...args,
      ],
      env: { XDG_DATA_HOME: dataHome },
    }).output()).stdout,
  );
  ok(
    table.includes(`--allow-net=${receivers}`) || receivers.split(",").every((r) => table.includes(r)),
    table,
  );
  return [...flags.filter((flag) => flag !== "--allow-net"), `--allow-net=${receivers}`];
}

/** Check one received message's RFC 5424 header against the monitor that sent it. */
function checkHeader(message: ReceivedMessage, pid: number): string {
  const header = HEADER.exec(message.rawmsg);
  ok(header !== null, `not an RFC 5424 header: ${message.rawmsg.slice(0, 120)}`);
  deepStrictEqual(message["protocol-version"], "1");
  deepStrictEqual(message["app-name"], "conntrail");
  deepStrictEqual(message.procid, String(pid));
  deepStrictEqual(message["structured-data"], "-");
  deepStrictEqual(message.hostname, HOSTNAME);
  ok(message.rawmsg.endsWith(" - " + message.msg), "the message is not the whole of what follows the header");
  return message.msgid;
}

Deno.test({
  name: "--syslog udp:// and tcp:// deliver RFC 5424 messages with the ECS JSON intact to a real rsyslog",
  ignore: !READY,
  sanitizeResources: false,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    const rsyslog = await startRsyslog({ udp: true, tcp: true });
    try {
      const port = freePort();
      const connection = await control.open(freshLoopback(), port);
      const udp = `127.0.0.1:${rsyslog.udpPort}`;
      const tcp = `127.0.0.1:${rsyslog.tcpPort}`;
      const args = [
        "--scroll",
        "-t",
        "0.5",
        "--store",
        "none",
        "--port",
        String(port),
        "--format",
        "ecs",
        "--syslog",
        `udp://${udp}`,
        "--syslog",
        `tcp://${tcp}`,
      ];
      const monitor = startConntrail(await narrowFlags(dataHome, args, `${udp},0.0.0.0:0,${tcp}`), args);
      const ecs = (line: string) => JSON.parse(line);
      await monitor.waitForStdout(
        (line) => ecs(line).event.action === "connection-opened" && ecs(line).network.direction === "egress",
        "the NEW event of the outgoing socket",
      );
      await control.close(connection.id);
      await monitor.waitForStdout(
        (line) => ["connection-closed", "connection-state-changed"].includes(ecs(line).event.action),
        "an event about the closed connection",
      );
      deepStrictEqual(await monitor.stop(), 0, monitor.stderr.join("\n"));
      const printed = monitor.stdout.filter((line) => line.startsWith("{"));
      ok(printed.length >= 4, printed.join("\n"));
      for (const line of printed) deepStrictEqual(ecsProblems(JSON.parse(line)), [], line);
      const summary = monitor.stderr.join("\n");
      match(summary, new RegExp(`syslog udp://${udp}: ${printed.length} events sent, 0 dropped`));
      match(summary, new RegExp(`syslog tcp://${tcp}: ${printed.length} events sent, 0 dropped`));

      const byInput = (messages: ReceivedMessage[], input: string) =>
        messages.filter((m) => m.inputname === input && m.procid === String(monitor.pid));
      const received = await rsyslog.waitFor(
        (messages) =>
          byInput(messages, "imudp").length >= printed.length &&
          byInput(messages, "imtcp").length >= printed.length,
        `${printed.length} messages on each input`,
      );
      for (const input of ["imudp", "imtcp"]) {
        const messages = byInput(received, input);
        // Byte for byte the lines the monitor printed, in the same order.
        deepStrictEqual(messages.map((m) => m.msg), printed, input);
        for (const message of messages) {
          const msgid = checkHeader(message, monitor.pid);
          const doc = JSON.parse(message.msg);
          deepStrictEqual(msgid, doc.conntrail.event);
          deepStrictEqual(message.pri, "134"); // local0.info
        }
      }
    } finally {
      await control.stop();
      await rsyslog.dispose();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});

Deno.test({
  name: "--syslog tcp:// loses nothing when rsyslog is stopped and started again mid-run (OCSF messages)",
  ignore: !READY,
  sanitizeResources: false,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    const rsyslog = await startRsyslog({ tcp: true });
    try {
      const port = freePort();
      const tcp = `127.0.0.1:${rsyslog.tcpPort}`;
      const args = [
        "--scroll",
        "-t",
        "0.5",
        "--store",
        "none",
        "--port",
        String(port),
        "--format",
        "ocsf",
        "--syslog",
        `tcp://${tcp}`,
      ];
      const monitor = startConntrail(await narrowFlags(dataHome, args, tcp), args);
      const opened = (client: number) => (line: string) => {
        const record = JSON.parse(line);
        return record.activity_id === 1 && record.src_endpoint?.port === client;
      };
      const first = await control.open(freshLoopback(), port);
      await monitor.waitForStdout(opened(first.client_port), "the first connection's Open");
      await rsyslog.waitFor(
        (messages) => messages.some((m) => JSON.parse(m.msg).src_endpoint?.port === first.client_port),
        "the first connection",
      );

      await rsyslog.stop();
      await monitor.waitForStderr(/syslog tcp:\/\/.*: connection lost/);
      const during = [await control.open(freshLoopback(), port), await control.open(freshLoopback(), port)];
      await control.close(first.id);
      for (const c of during) {
        await monitor.waitForStdout(opened(c.client_port), "an Open while rsyslog is away");
      }
      await monitor.waitForStdout(
        (line) => JSON.parse(line).activity_id === 2,
        "a Close while rsyslog is away",
      );

      await rsyslog.start();
      await monitor.waitForStderr(/syslog tcp:\/\/.*: connected again; \d+ events were waiting$/);
      const after = await control.open(freshLoopback(), port);
      await monitor.waitForStdout(opened(after.client_port), "an Open after rsyslog came back");
      deepStrictEqual(await monitor.stop(), 0, monitor.stderr.join("\n"));

      const printed = monitor.stdout.filter((line) => line.startsWith("{"));
      match(
        monitor.stderr.join("\n"),
        new RegExp(`syslog tcp://${tcp}: ${printed.length} events sent, 0 dropped`),
      );
      const received = await rsyslog.waitFor(
        (messages) => messages.filter((m) => m.procid === String(monitor.pid)).length >= printed.length,
        `all ${printed.length} events`,
      );
      const mine = received.filter((m) => m.procid === String(monitor.pid));
      deepStrictEqual(mine.map((m) => m.msg), printed);
      for (const message of mine) {
        checkHeader(message, monitor.pid);
        deepStrictEqual(ocsfProblems(JSON.parse(message.msg)), [], message.msg);
      }
      for (const c of during) await control.close(c.id);
      await control.close(after.id);
    } finally {
      await control.stop();
      await rsyslog.dispose();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});

async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .output();
    if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=conntrail test CA",
  );
  await openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  );
  return { ca: `${dir}/ca.pem`, cert: `${dir}/server.pem`, key: `${dir}/server.key` };
}

Deno.test({
  name:
    "--syslog tls:// with --syslog-ca delivers to rsyslog's TLS input; without the CA it says why and drops",
  ignore: !READY || !hasTool("openssl") || !hasRsyslogTls(),
  sanitizeResources: false,
  async fn() {
    const dataHome = await Deno.makeTempDir();
    const control = socketControl();
    const pki = await makeCertificates(dataHome);
    const rsyslog = await startRsyslog({ tls: { caFile: pki.ca, certFile: pki.cert, keyFile: pki.key } });
    try {
      const port = freePort();
      const connection = await control.open(freshLoopback(), port);
      const target = `127.0.0.1:${rsyslog.tcpPort}`;
      const base = ["--scroll", "-t", "0.5", "--store", "none", "--port", String(port), "--format", "ocsf"];
      const args = [...base, "--syslog", `tls://${target}`, "--syslog-ca", pki.ca];
      const monitor = startConntrail(await narrowFlags(dataHome, args, target), args);
      await monitor.waitForStdout((line) => JSON.parse(line).activity_id === 1, "an Open");
      deepStrictEqual(await monitor.stop(), 0, monitor.stderr.join("\n"));
      const printed = monitor.stdout.filter((line) => line.startsWith("{"));
      match(
        monitor.stderr.join("\n"),
        new RegExp(`syslog tls://${target}: ${printed.length} events sent, 0 dropped`),
      );
      const received = await rsyslog.waitFor(
        (messages) => messages.filter((m) => m.procid === String(monitor.pid)).length >= printed.length,
        "the events over TLS",
      );
      deepStrictEqual(received.filter((m) => m.procid === String(monitor.pid)).map((m) => m.msg), printed);

      // The same receiver without its CA: the certificate is refused, said once, and nothing is sent.
      const untrusted = [...base, "--count", "2", "--syslog", `tls://${target}`];
      const refused = startConntrail(await narrowFlags(dataHome, untrusted, target), untrusted);
      await refused.waitForStderr(/syslog tls:\/\/.*: cannot connect \(.*certificate/i);
      deepStrictEqual(await refused.stop(), 0);
      match(
        refused.stderr.join("\n"),
        new RegExp(`syslog tls://${target}: 0 events sent, [1-9]\\d* dropped`),
      );
      await control.close(connection.id);
    } finally {
      await control.stop();
      await rsyslog.dispose();
      await Deno.remove(dataHome, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the README's rsyslog configuration writes conntrail's events as one JSON document a line, and only those",
  ignore: !HAS_RSYSLOG,
  async fn() {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const block = /```rsyslog\n([\s\S]*?)\n\s*```/.exec(readme)?.[1];
    ok(block !== undefined, "the README has no rsyslog block");
    const rsyslog = await startRsyslog({
      tcp: true,
      config: (dir, tcpPort) =>
        `global(workDirectory="${dir}")\n` +
        block.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n")
          .replace('port="5514"', `port="${tcpPort}"`)
          .replaceAll("/var/log/conntrail/", `${dir}/`) +
        "\n",
    });
    try {
      const sink = new SyslogSink(parseSyslogUrl(`tcp://127.0.0.1:${rsyslog.tcpPort}`), {
        note: () => {},
        connect,
      });
      const output = new SyslogOutput([sink], {
        format: "ecs",
        describe: () => ({ country: "US" }),
        context: {
          host: { hostname: "ws1", os: "linux", arch: "x86_64" },
          product: { name: "conntrail", version: "t" },
        },
        procId: 1,
      });
      const connection = {
        timestamp: "2026-11-21T14:30:16.250+01:00",
        protocol: "TCP" as const,
        family: 4 as const,
        local_ip: "10.0.0.2",
        local_port: 50000,
        remote_ip: "198.51.100.7",
        remote_port: 443,
        status: "ESTABLISHED",
        direction: "outgoing" as const,
        pid: 4211,
        process_name: "firefox",
        process_path: "/usr/lib/firefox/firefox",
        user: "ana",
      };
      sink.send("<134>1 - ws1 someone-else - X - not conntrail's");
      await output.onPoll([{ event: "NEW", connection }, { event: "CLOSED", connection }], null, new Date());
      await output.close();
      const file = `${rsyslog.dir}/events.ndjson`;
      const read = async () =>
        (await Deno.readTextFile(file).catch(() => "")).split("\n").filter((line) => line !== "");
      // Both events, or whatever the file holds when the hang guard ends the wait (the check below says).
      const lines = await waitFor(async () => {
        const now = await read();
        return now.length >= 2 ? now : null;
      }, `two events in ${file}`).catch(read);
      deepStrictEqual(lines.map((line) => JSON.parse(line).conntrail.event), ["NEW", "CLOSED"]);
      for (const line of lines) deepStrictEqual(ecsProblems(JSON.parse(line)), []);
    } finally {
      await rsyslog.dispose();
    }
  },
});
