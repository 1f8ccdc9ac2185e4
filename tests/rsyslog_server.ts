/**
 * A real rsyslogd for tests: started with a config of its own (work directory,
 * pid file, random loopback ports, UDP and/or TCP, optionally TLS through the
 * gtls driver), writing every message it receives as one JSON line
 * (`%jsonmesg%`: the parsed RFC 5424 fields, `msg` and `rawmsg`) to a file the
 * test reads back. It can be stopped and started again on the same ports.
 */
import dgram from "node:dgram";
import { hasTool } from "./open_sockets.ts";
import { HANG_GUARD_MS } from "./waiting.ts";
import { removeAll } from "./temp_dir.ts";

/** What rsyslog parsed out of one message (a few of `%jsonmesg%`'s fields). */
export interface ReceivedMessage {
  msg: string;
  rawmsg: string;
  hostname: string;
  "app-name": string;
  procid: string;
  msgid: string;
  "protocol-version": string;
  "structured-data": string;
  pri: string;
  inputname: string;
}

/** TLS material for a `tls` input (PEM files). */
export interface RsyslogTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Which inputs to open. */
export interface RsyslogOptions {
  udp?: boolean;
  tcp?: boolean;
  /** The TCP input speaks TLS (needs Debian's rsyslog-gnutls). */
  tls?: RsyslogTls;
  /** A configuration of the test's own instead, given the work directory and the TCP port. */
  config?: (dir: string, tcpPort: number) => string;
}

/** A running (or stopped) rsyslogd. */
export interface Rsyslog {
  udpPort: number;
  tcpPort: number;
  /** Every message written so far (both runs, when restarted). */
  messages(): ReceivedMessage[];
  /** Wait until the messages satisfy `done`; fails after `ms` (the hang guard unless told) with what was received. */
  waitFor(
    done: (messages: ReceivedMessage[]) => boolean,
    what: string,
    ms?: number,
  ): Promise<ReceivedMessage[]>;
  /** SIGTERM, and wait for the process to end. */
  stop(): Promise<void>;
  /** Start again on the same ports, appending to the same file. */
  start(): Promise<void>;
  /** Stop and remove the work directory. */
  dispose(): Promise<void>;
  /** The work directory (the configuration's files go there). */
  dir: string;
}

/** True when rsyslogd is installed (the TLS driver is checked separately). */
export const HAS_RSYSLOG = Deno.build.os === "linux" && hasTool("rsyslogd");

/** True when rsyslog's gtls network driver is installed (Debian rsyslog-gnutls). */
export function hasRsyslogTls(): boolean {
  for (
    const dir of [
      "/usr/lib/x86_64-linux-gnu/rsyslog",
      "/usr/lib/aarch64-linux-gnu/rsyslog",
      "/usr/lib/rsyslog",
    ]
  ) {
    try {
      Deno.statSync(`${dir}/lmnsd_gtls.so`);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

async function freePort(transport: "tcp" | "udp"): Promise<number> {
  if (transport === "tcp") {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    return port;
  }
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function listening(transport: "tcp" | "udp", port: number): boolean {
  const out = new Deno.Command("ss", { args: [transport === "tcp" ? "-Hltn" : "-Hlun", `sport = :${port}`] })
    .outputSync();
  // Where rsyslog listens: 127.0.0.1 (the tests' configuration) or every address (the README's). Another
  // test's listener on another loopback address can have the same port: that one is not rsyslog.
  const ours = new Set([`127.0.0.1:${port}`, `0.0.0.0:${port}`, `*:${port}`, `[::]:${port}`]);
  return new TextDecoder().decode(out.stdout).split("\n").some((line) =>
    ours.has(line.trim().split(/\s+/)[3] ?? "")
  );
}

function config(dir: string, udpPort: number, tcpPort: number, options: RsyslogOptions): string {
  const lines = [`global(workDirectory="${dir}" maxMessageSize="64k")`];
  if (options.udp) {
    lines.push('module(load="imudp")', `input(type="imudp" address="127.0.0.1" port="${udpPort}")`);
  }
  if (options.tls !== undefined) {
    lines.push(
      `global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${options.tls.caFile}" ` +
        `DefaultNetstreamDriverCertFile="${options.tls.certFile}" DefaultNetstreamDriverKeyFile="${options.tls.keyFile}")`,
      'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")',
      `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`,
    );
  } else if (options.tcp) {
    lines.push('module(load="imtcp")', `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`);
  }
  lines.push(
    'template(name="everything" type="string" string="%jsonmesg%\\n")',
    `*.* action(type="omfile" file="${dir}/messages.json" template="everything")`,
  );
  return lines.join("\n") + "\n";
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start rsyslogd in a new temporary directory and wait until its inputs listen. */
export async function startRsyslog(options: RsyslogOptions): Promise<Rsyslog> {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-rsyslog-" });
  const udpPort = options.udp ? await freePort("udp") : 0;
  const tcpPort = options.tcp || options.tls !== undefined ? await freePort("tcp") : 0;
  const conf = `${dir}/rsyslog.conf`;
  await Deno.writeTextFile(
    conf,
    options.config?.(dir, tcpPort) ?? config(dir, udpPort, tcpPort, options),
  );
  let child: Deno.ChildProcess | null = null;
  let stderr: Promise<string> = Promise.resolve("");
  const file = `${dir}/messages.json`;

  const read = (): ReceivedMessage[] => {
    let text = "";
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      return [];
    }
    return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line))
      .filter((m: ReceivedMessage) => m["app-name"] === "conntrail");
  };

  const start = async () => {
    child = new Deno.Command("rsyslogd", {
      args: ["-n", "-f", conf, "-i", `${dir}/rsyslogd.pid`],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    stderr = new Response(child.stderr).text();
    const end = Date.now() + HANG_GUARD_MS;
    // Wait for the inputs to listen (the event), with a deadline that only turns a hang into a failure.
    while (!((!options.udp || listening("udp", udpPort)) && (tcpPort === 0 || listening("tcp", tcpPort)))) {
      if (Date.now() > end) {
        // Its stderr ends only with it: stop it first (a running rsyslogd would hang this, and stay behind).
        await stop();
        throw new Error(`rsyslogd did not listen: ${await stderr}`);
      }
      await delay(50);
    }
  };

  const stop = async () => {
    const running = child;
    if (running === null) return;
    child = null;
    try {
      running.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await running.status;
    await stderr;
  };

  try {
    await start();
  } catch (error) {
    await removeAll(dir);
    throw error;
  }
  return {
    dir,
    udpPort,
    tcpPort,
    messages: read,
    async waitFor(done, what, ms = HANG_GUARD_MS) {
      const end = Date.now() + ms;
      for (;;) {
        const messages = read();
        if (done(messages)) return messages;
        if (Date.now() > end) {
          throw new Error(`rsyslog never received ${what}; it has ${messages.length} conntrail messages`);
        }
        await delay(100);
      }
    },
    stop,
    start,
    async dispose() {
      await stop();
      await removeAll(dir);
    },
  };
}
