import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { createUdpListing, FULL_EVERY, UDP_LISTING_ARGS } from "../../lib/collect/udp_listing.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { ToolError } from "../../lib/model/errors.ts";
import { PROC_NET_TCP_TABLES, PROC_NET_UDP_LISTING } from "../../lib/parse/proc_net_listing.ts";
import { ProcTcpRows } from "../../lib/parse/proc_net_tcp.ts";
import type { FileReading } from "../../lib/collect/read_files.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import type { Socket } from "../../lib/model/connection.ts";

/** A UDP socket bound on 127.0.0.1 (`port` 0: any free one), once bound. */
function bound(port = 0): Promise<UdpSocket> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, "127.0.0.1", () => resolve(socket));
  });
}

/** A UDP socket bound on ::1 on any free port, once bound. */
function bound6(): Promise<UdpSocket> {
  const socket = createSocket("udp6");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "::1", () => resolve(socket));
  });
}

/** Close a socket, once closed (a second close is a no-op). */
function closed(socket: UdpSocket | null): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket?.close(() => resolve()) ?? resolve();
    } catch {
      resolve(); // closed already
    }
  });
}

/** What `ss -s` prints before the listing (iproute2 6.1), for a namespace with one IPv4 TCP socket. */
const SUMMARY = "Total: 2\nTCP:   1 (estab 1, closed 0, orphaned 0, timewait 0)\n\n" +
  "Transport Total     IP        IPv6\nRAW\t  0         0         0        \n" +
  "UDP\t  1         1         0        \nTCP\t  1         1         0        \n" +
  "INET\t  2         2         0        \nFRAG\t  0         0         0        \n\n";

/** A UDP row as `ss -uaneH` prints it: local port, peer (`0.0.0.0:*` when unconnected), inode, uid. */
function row(port: number, inode: number, options: { peer?: string; uid?: number } = {}): string {
  const uid = options.uid === undefined ? "" : `uid:${options.uid} `;
  return `UNCONN 0 0 127.0.0.1:${port} ${options.peer ?? "0.0.0.0:*"} ${uid}ino:${inode} sk:${inode} <->`;
}

/** A scripted ss that lists `rows` (as `-uaneH` prints them, without -e's fields for `-uanH`), recording its runs. */
function scriptedSs(): { run: RunTool; rows: string[]; ran: string[] } {
  const script = { rows: [] as string[], ran: [] as string[] };
  const run: RunTool = (command, args) => {
    script.ran.push([command, ...args].join(" "));
    const extended = args[0] === "-uaneH";
    const rows = script.rows.map((r) => extended ? r : r.replace(/ (?:uid:\d+ )?ino:\d+ sk:\d+ <->/, ""));
    return Promise.resolve({ stdout: SUMMARY + rows.join("\n") + "\n", stderr: "", code: 0 });
  };
  return Object.assign(script, { run });
}

type Seen = [port: number, inode: number | null, user: string | null];

async function readOnce(listing: ReturnType<typeof createUdpListing>): Promise<Seen[]> {
  const { udp, summary } = await listing.read();
  deepStrictEqual(summary, { ipv4: 1, ipv6: 0, timeWait: 0 });
  return udp.sockets.map((s) => [s.local_port, s.inode, s.user]);
}

const FULL = `ss ${UDP_LISTING_ARGS.full.join(" ")}`;
const QUICK = `ss ${UDP_LISTING_ARGS.quick.join(" ")}`;

Deno.test("createUdpListing() lists with -e at first, then without it, each socket keeping the inode and uid the full listing gave", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(5353, 11), row(40000, 12, { peer: "127.0.0.1:53", uid: 1000 }));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  const expected: Seen[] = [[5353, 11, "0"], [40000, 12, "1000"]];
  deepStrictEqual(await readOnce(listing), expected);
  deepStrictEqual(await readOnce(listing), expected);
  deepStrictEqual(await readOnce(listing), expected);
  deepStrictEqual(ss.ran, [FULL, QUICK, QUICK]);
  deepStrictEqual(listing.fullReadings, 1);
});

Deno.test("createUdpListing() reads the full listing at once when a socket is new, and at the next poll while they keep changing", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(5353, 11));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  await readOnce(listing);
  ss.rows.push(row(40000, 12));
  // The quick listing shows 40000, which the last one did not: the full one, in the same poll, names it.
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"], [40000, 12, "0"]]);
  ss.rows.push(row(40001, 13));
  // Changing: straight to the full listing, which differs again.
  deepStrictEqual((await readOnce(listing)).at(-1), [40001, 13, "0"]);
  // Still full (the last full one differed); this one does not: quick from then on.
  await readOnce(listing);
  await readOnce(listing);
  deepStrictEqual(ss.ran, [FULL, QUICK, FULL, FULL, FULL, QUICK]);
});

Deno.test("createUdpListing() gives a socket that was gone for a poll the inode it has when it returns", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(5353, 11), row(123, 20));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  await readOnce(listing);
  ss.rows = [row(5353, 11)];
  // A socket gone is no change that needs the full listing.
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]]);
  ss.rows.push(row(123, 21)); // the service restarted: the same port, another socket
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"], [123, 21, "0"]]);
  deepStrictEqual(ss.ran, [FULL, QUICK, QUICK, FULL]);
});

Deno.test("createUdpListing() lists with -e every FULL_EVERY polls, which names a socket reopened on the same port within a poll", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(123, 20));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  await readOnce(listing);
  ss.rows = [row(123, 21)];
  const inodes: (number | null)[] = [];
  for (let poll = 2; poll <= FULL_EVERY + 1; poll++) inodes.push((await readOnce(listing))[0]![1]);
  // Unseen by the quick listings (the same line), named by the full one at poll FULL_EVERY + 1.
  deepStrictEqual(inodes, [...Array(FULL_EVERY - 1).fill(20), 21]);
  deepStrictEqual(ss.ran.filter((r) => r === FULL).length, 2);
  deepStrictEqual(ss.ran.at(-1), FULL);
});

Deno.test("createUdpListing() gives sockets listed on the same addresses (SO_REUSEPORT) their inodes in ss's order", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(443, 31, { uid: 33 }), row(443, 32, { uid: 34 }));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  const expected: Seen[] = [[443, 31, "33"], [443, 32, "34"]];
  deepStrictEqual(await readOnce(listing), expected);
  deepStrictEqual(await readOnce(listing), expected);
  // A third on the same port is new.
  ss.rows.push(row(443, 33, { uid: 35 }));
  deepStrictEqual(await readOnce(listing), [...expected, [443, 33, "35"]]);
  deepStrictEqual(ss.ran, [FULL, QUICK, QUICK, FULL]);
});

Deno.test("createUdpListing() gives an unchanged socket back as the same object, whichever kind of reading lists it, as its row gives it", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(5353, 11, { uid: 1000 }));
  const listing = createUdpListing(ss.run, { traffic: false, once: false });
  const first = (await listing.read()).udp.sockets[0]!;
  const seen = new Set<unknown>();
  for (let poll = 2; poll <= FULL_EVERY + 2; poll++) {
    // A collector names the process and the user on the socket itself.
    Object.assign(first, { pid: 42, process_name: "avahi", process_path: "/usr/sbin/avahi", user: "avahi" });
    const socket = (await listing.read()).udp.sockets[0]!;
    seen.add(socket);
    deepStrictEqual(
      [socket.pid, socket.process_name, socket.process_path, socket.user, socket.inode],
      [null, null, null, "1000", 11],
    );
  }
  deepStrictEqual([...seen], [first]);
  deepStrictEqual(ss.ran.filter((r) => r === FULL).length, 2);
});

Deno.test("createUdpListing({ once }) lists with -e every time", async () => {
  const ss = scriptedSs();
  ss.rows.push(row(5353, 11));
  const listing = createUdpListing(ss.run, { traffic: false, once: true });
  await readOnce(listing);
  await readOnce(listing);
  deepStrictEqual(ss.ran, [FULL, FULL]);
});

Deno.test({
  name:
    "createUdpListing() with the real ss: real sockets keep their real inodes without -e, and one reopened after a poll gets its new one",
  ignore: Deno.build.os !== "linux" || !hasTool("ss"),
  fn: async () => {
    const first = await bound();
    const second = await bound();
    const ports = [first, second].map((s) => s.address().port);
    const runTool = toolRunner(denoPlatform().programs);
    const ran: string[] = [];
    // Only these two sockets (an ss filter): other programs' sockets coming and going would change which
    // polls list with -e.
    const filter = ["sport", "=", `:${ports[0]}`, "or", "sport", "=", `:${ports[1]}`];
    const run: RunTool = (command, args, options) => {
      ran.push(args[0]!);
      return runTool(command, [...args, ...filter], options);
    };
    /** Each socket's inode as `ss -uaneH` prints it now. */
    const realInodes = async () => {
      const { stdout } = await runTool("ss", ["-uaneH", ...filter]);
      return ports.map((port) => Number(new RegExp(`:${port} .* ino:(\\d+)`).exec(stdout)?.[1]));
    };
    const inodesOf = async (listing: ReturnType<typeof createUdpListing>) => {
      const { udp } = await listing.read();
      return ports.map((port) => udp.sockets.find((s) => s.local_port === port)?.inode ?? null);
    };
    let reopened: UdpSocket | null = null;
    let secondOpen: UdpSocket | null = second;
    try {
      const listing = createUdpListing(run, { traffic: false, once: false });
      const real = await realInodes();
      ok(real.every((inode) => inode > 0), `ss lists both: ${real}`);
      deepStrictEqual(await inodesOf(listing), real);
      deepStrictEqual(await inodesOf(listing), real);
      deepStrictEqual(ran, ["-uaneH", "-uanH"]);
      await closed(second);
      secondOpen = null;
      deepStrictEqual(await inodesOf(listing), [real[0], null]);
      reopened = await bound(ports[1]);
      const now = await realInodes();
      ok(now[1] !== real[1], "the reopened socket is another inode");
      deepStrictEqual(await inodesOf(listing), now);
      deepStrictEqual(ran, ["-uaneH", "-uanH", "-uanH", "-uanH", "-uaneH"]);
    } finally {
      await closed(first);
      await closed(secondOpen);
      await closed(reopened);
    }
  },
});

/** /proc/net/udp's head and a row of it: 127.0.0.1:`port`, unconnected, uid 0, `inode`. */
const PROC_UDP_HEAD =
  "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout " +
  "inode ref pointer drops";
function procRow(port: number, inode: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return ` 541: 0100007F:${hexPort} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 ${inode} 2 ` +
    "0000000000000000 0";
}
/** `cat`'s text of the four files with IPv6 off (no sockstat6, no udp6): what it prints before exiting 1. */
const CAT_IPV4_ONLY =
  `sockets: used 3\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\nUDP: inuse 1 mem 0\n${PROC_UDP_HEAD}\n` +
  `${procRow(5353, 11)}\n`;

/**
 * A scripted host: `cat` answers `catAnswer` (text and exit code, or an error thrown), ss as {@linkcode scriptedSs}.
 * A code its caller does not accept fails as the real runner fails it.
 */
function scriptedCatAndSs(catAnswer: () => { stdout: string; code: number } | Error) {
  const ss = scriptedSs();
  const run: RunTool = (command, args, options) => {
    if (command !== "cat") return ss.run(command, args, options);
    ss.ran.push([command, ...args].join(" "));
    const answer = catAnswer();
    if (answer instanceof Error) return Promise.reject(answer);
    if (!(options?.okCodes ?? [0]).includes(answer.code)) {
      return Promise.reject(new ToolError(`"cat" failed with exit code ${answer.code}: No such file`));
    }
    return Promise.resolve({ stdout: answer.stdout, stderr: "", code: answer.code });
  };
  return { ran: ss.ran, rows: ss.rows, run };
}

const CAT = `cat ${PROC_NET_UDP_LISTING.join(" ")}`;

Deno.test("createUdpListing({ cat }) reads UDP and the TCP counts from /proc through one cat, with IPv6 off too (cat exits 1)", async () => {
  const host = scriptedCatAndSs(() => ({ stdout: CAT_IPV4_ONLY, code: 1 }));
  const listing = createUdpListing(host.run, { traffic: false, once: false, cat: true });
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]]);
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]]);
  deepStrictEqual(host.ran, [CAT, CAT]);
});

Deno.test("createUdpListing({ cat }) lists with ss from the first time cat cannot read the files (not run, no IPv4 table, a failure)", async () => {
  const answers: { name: string; answer: () => { stdout: string; code: number } | Error }[] = [
    { name: "cannot run", answer: () => new ToolError('cannot run "cat": not allowed') },
    {
      name: "no IPv4 table",
      answer: () => ({ stdout: "TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n", code: 1 }),
    },
    { name: "exit 2", answer: () => ({ stdout: CAT_IPV4_ONLY, code: 2 }) },
  ];
  for (const { name, answer } of answers) {
    const host = scriptedCatAndSs(answer);
    host.rows.push(row(5353, 11));
    const listing = createUdpListing(host.run, { traffic: false, once: false, cat: true });
    deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]], name);
    deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]], name);
    deepStrictEqual(host.ran, [CAT, FULL, QUICK], name);
  }
});

Deno.test("createUdpListing({ cat, traffic }) gives UDP's sockets the counters' fields (null) ss's text gives them", async () => {
  const host = scriptedCatAndSs(() => ({ stdout: CAT_IPV4_ONLY, code: 0 }));
  host.rows.push(row(5353, 11));
  const byCat =
    (await createUdpListing(host.run, { traffic: true, once: false, cat: true }).read()).udp.sockets;
  const bySs = (await createUdpListing(host.run, { traffic: true, once: false }).read()).udp.sockets;
  deepStrictEqual(host.ran, [CAT, FULL]);
  deepStrictEqual(byCat, bySs);
  deepStrictEqual([byCat[0]?.bytes_sent, byCat[0]?.bytes_received, Object.keys(byCat[0] ?? {}).length], [
    null,
    null,
    14,
  ]);
});

Deno.test("createUdpListing({ cat }) fails a reading whose cat was cut short (its guard, a stop) and reads by cat again", async () => {
  let cutShort = true;
  const host = scriptedCatAndSs(() =>
    cutShort ? new ToolError('"cat" did not finish', { timedOut: true }) : { stdout: CAT_IPV4_ONLY, code: 0 }
  );
  const listing = createUdpListing(host.run, { traffic: false, once: false, cat: true });
  await rejects(listing.read(), /did not finish/);
  cutShort = false;
  deepStrictEqual(await readOnce(listing), [[5353, 11, "0"]]);
  deepStrictEqual(host.ran, [CAT, CAT]);
});

Deno.test({
  name:
    "createUdpListing({ cat }) with the real cat: real sockets (IPv4, IPv6, connected) as ss -uaneH lists them",
  ignore: Deno.build.os !== "linux" || !hasTool("ss") || !hasTool("cat"),
  fn: async () => {
    // Connected sockets are in the captured fixture of tests/parse/proc_net_test.ts (node:dgram's connect in Deno
    // connects no kernel socket).
    const sockets = [await bound(), await bound6()];
    try {
      const ports = sockets.map((s) => s.address().port);
      const runTool = toolRunner(denoPlatform().programs);
      const ran: string[] = [];
      const run: RunTool = (command, args, options) => {
        ran.push(command);
        return runTool(command, args, options);
      };
      const listing = createUdpListing(run, { traffic: false, once: false, cat: true });
      const fields = (list: readonly Socket[]) =>
        ports.map((port) => {
          const s = list.find((s) => s.local_port === port);
          return s && [s.family, s.local_ip, s.remote_ip, s.remote_port, s.status, s.user, s.inode];
        });
      const { udp, summary } = await listing.read();
      const ss = parseSs((await runTool("ss", ["-uaneH"])).stdout, { protocol: "UDP" });
      ok(summary !== null, "the TCP counts are read");
      ok(
        fields(udp.sockets).every((f) => f !== undefined),
        `cat lists both: ${JSON.stringify(fields(udp.sockets))}`,
      );
      deepStrictEqual(fields(udp.sockets), fields(ss.sockets));
      deepStrictEqual(ran, ["cat"]);
    } finally {
      for (const s of sockets) await closed(s);
    }
  },
});

/** /proc/net/tcp's head (tcp6's is wider) and a listener's row on 127.0.0.1:`port`. */
const PROC_TCP_HEAD =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
const PROC_TCP6_HEAD =
  "  sl  local_address                         remote_address                        st tx_queue " +
  "rx_queue tr tm->when retrnsmt   uid  timeout inode";
const PROC_UDP6_HEAD =
  "  sl  local_address                         remote_address                        st tx_queue " +
  "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops";
function procTcpRow(port: number, inode: number): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return `   0: 0100007F:${hexPort} 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1`;
}

Deno.test("createUdpListing({ cat }).read(tcp) reads TCP's rows in the same cat, only when it read TCP's tables as it read UDP's", async () => {
  const udpTables = `${CAT_IPV4_ONLY}${PROC_UDP6_HEAD}\n`;
  const cases = [
    {
      name: "both families",
      tables: `${PROC_TCP_HEAD}\n${procTcpRow(80, 21)}\n${PROC_TCP6_HEAD}\n`,
      read: 1,
    },
    { name: "IPv4's missing", tables: `${PROC_TCP6_HEAD}\n`, read: 0 },
  ];
  for (const { name, tables, read } of cases) {
    const host = scriptedCatAndSs(() => ({ stdout: `${udpTables}${tables}`, code: 0 }));
    const listing = createUdpListing(host.run, { traffic: false, once: false, cat: true });
    const rows = new ProcTcpRows();
    const { tcpRead } = await listing.read(rows);
    deepStrictEqual([tcpRead, rows.count], [read === 1, read], name);
    deepStrictEqual(host.ran, [`${CAT} ${PROC_NET_TCP_TABLES.join(" ")}`], name);
  }
});

/** A kept reading (a sed's) of /proc's files: each file's text from `texts` (none: absent), each call noted. */
function keptFiles(texts: Record<string, string>): FileReading & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    kept: true,
    asked,
    read: (files, onChunk) => {
      asked.push([...files]);
      for (const file of files) if (texts[file] !== undefined) onChunk(new TextEncoder().encode(texts[file]));
      return Promise.resolve();
    },
  };
}

Deno.test("createUdpListing({ files: kept }).read(tcp, tcpFamilies) reads the counts first, then only the TCP tables tcpFamilies asks for", async () => {
  const texts = (tcp6: number) => ({
    "/proc/net/sockstat": "sockets: used 3\nTCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0\n",
    "/proc/net/sockstat6": `TCP6: inuse ${tcp6}\nUDP6: inuse 0\n`,
    "/proc/net/udp": `${PROC_UDP_HEAD}\n${procRow(5353, 11)}\n`,
    "/proc/net/udp6": `${PROC_UDP6_HEAD}\n`,
    "/proc/net/tcp": `${PROC_TCP_HEAD}\n${procTcpRow(80, 21)}\n`,
    "/proc/net/tcp6": `${PROC_TCP6_HEAD}\n`,
  });
  const [sockstat, sockstat6, udp, udp6, tcp, tcp6] = [...PROC_NET_UDP_LISTING, ...PROC_NET_TCP_TABLES];
  const cases = [
    { name: "IPv4 only", tcp6: 0, families: { ipv4: true, ipv6: false }, tables: [tcp] },
    { name: "both", tcp6: 1, families: { ipv4: true, ipv6: true }, tables: [tcp, tcp6] },
    { name: "IPv6 only", tcp6: 1, families: { ipv4: false, ipv6: true }, tables: [tcp6] },
  ];
  for (const { name, tcp6: count, families, tables } of cases) {
    const files = keptFiles(texts(count));
    const listing = createUdpListing(scriptedSs().run, { traffic: false, once: false, cat: true, files });
    const rows = new ProcTcpRows();
    const seen: unknown[] = [];
    const { tcpRead, udp: read } = await listing.read(rows, (summary) => {
      seen.push(summary);
      return families;
    });
    deepStrictEqual(files.asked, [[sockstat, sockstat6], [udp, udp6, ...tables]], name);
    // tcpFamilies is given the counts of the first call's files.
    deepStrictEqual(seen, [{ ipv4: 1, ipv6: count, timeWait: 0 }], name);
    deepStrictEqual([tcpRead, rows.count, read.sockets.length], [true, families.ipv4 ? 1 : 0, 1], name);
  }
  // Where IPv6 is off (no udp6, no tcp6), the IPv4 table alone is every table: read.
  const ipv4Only = keptFiles({
    ...texts(0),
    "/proc/net/sockstat6": undefined!,
    "/proc/net/udp6": undefined!,
    "/proc/net/tcp6": undefined!,
  });
  const rows = new ProcTcpRows();
  const listing = createUdpListing(scriptedSs().run, {
    traffic: false,
    once: false,
    cat: true,
    files: ipv4Only,
  });
  deepStrictEqual((await listing.read(rows, () => ({ ipv4: true, ipv6: true }))).tcpRead, true);
  deepStrictEqual(rows.count, 1);
  // A reading that is not kept (one cat a call) asks for all six at once, whatever tcpFamilies would say.
  const once = { ...keptFiles(texts(0)), kept: false };
  const oneCat = createUdpListing(scriptedSs().run, { traffic: false, once: false, cat: true, files: once });
  await oneCat.read(new ProcTcpRows(), () => ({ ipv4: true, ipv6: false }));
  deepStrictEqual(once.asked, [[sockstat, sockstat6, udp, udp6, tcp, tcp6]]);
});
