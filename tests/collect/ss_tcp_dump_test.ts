import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import {
  BOTH_FAMILIES_EVERY_MS,
  createTcpDump,
  DUMP_BUFFER_ARGS,
  DUMP_BUFFER_FROM,
  dumpFamilies,
  FAMILY_CHECK_EVERY,
  TIME_WAIT_MS,
} from "../../lib/collect/ss_tcp_dump.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { hasTool } from "../open_sockets.ts";
import { ToolError } from "../../lib/model/errors.ts";
import { InetDiagMemory, type InetDiagReader, parseInetDiagDump } from "../../lib/parse/inet_diag.ts";
import { ProcTcpRows } from "../../lib/parse/proc_net_tcp.ts";

/** An empty `ss -D` dump: its end-of-dump message (NLMSG_DONE) alone. */
function emptyDump(): Uint8Array {
  const done = new DataView(new ArrayBuffer(16));
  done.setUint32(0, 16, true);
  done.setUint16(4, 3, true);
  return new Uint8Array(done.buffer);
}

/** A runner that dumps nothing and records each command line; `stdbuf` fails as `stdbuf` says. */
function recording(stdbuf: "runs" | "missing"): { run: RunTool; ran: string[] } {
  const ran: string[] = [];
  const run: RunTool = (command, args, options) => {
    ran.push([command, ...args].join(" "));
    if (command === "stdbuf" && stdbuf === "missing") {
      return Promise.reject(new ToolError('cannot find "stdbuf" on PATH', { notFound: true }));
    }
    options?.onChunk?.(emptyDump());
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  return { run, ran };
}

Deno.test("createTcpDump() asks for the one family the summary counts, and for both every FAMILY_CHECK_EVERY readings", async () => {
  const { run, ran } = recording("runs");
  const dump = createTcpDump({ run, now: () => 100_000, traffic: true, bufferDump: false });
  for (let i = 0; i < FAMILY_CHECK_EVERY; i++) await dump.read({ ipv4: 3, ipv6: 0, timeWait: 0 }, true, 10);
  deepStrictEqual(ran, [...Array(FAMILY_CHECK_EVERY - 1).fill("ss -taiD - -4"), "ss -taiD -"]);
  ran.length = 0;
  await dump.read({ ipv4: 3, ipv6: 0, timeWait: 0 }, false, 10); // without counters: no tcp_info
  deepStrictEqual(ran, ["ss -taD - -4"]);
  deepStrictEqual(dumpFamilies(null), []);
});

Deno.test("createTcpDump() reads a dump of DUMP_BUFFER_FROM sockets through stdbuf, and plain ss once stdbuf cannot run", async () => {
  const buffered = recording("runs");
  const dump = createTcpDump({ run: buffered.run, now: () => 0, traffic: false, bufferDump: true });
  await dump.read(null, false, DUMP_BUFFER_FROM - 1);
  await dump.read(null, false, DUMP_BUFFER_FROM);
  deepStrictEqual(buffered.ran, ["ss -taD -", ["stdbuf", ...DUMP_BUFFER_ARGS, "ss", "-taD", "-"].join(" ")]);
  const missing = recording("missing");
  const fallback = createTcpDump({ run: missing.run, now: () => 0, traffic: false, bufferDump: true });
  await fallback.read(null, false, DUMP_BUFFER_FROM);
  await fallback.read(null, false, DUMP_BUFFER_FROM);
  deepStrictEqual(missing.ran, [
    ["stdbuf", ...DUMP_BUFFER_ARGS, "ss", "-taD", "-"].join(" "),
    "ss -taD -",
    "ss -taD -",
  ]);
});

Deno.test({
  name: "createTcpDump().listeners() with the real ss: the listening sockets alone, with their real inodes",
  ignore: Deno.build.os !== "linux" || !hasTool("ss"),
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    const accepted = await listener.accept();
    try {
      const run = toolRunner(denoPlatform().programs);
      const { stdout } = await run("ss", ["-tlneH", "sport", "=", `:${port}`]);
      const inode = Number(/ ino:(\d+)/.exec(stdout)?.[1]);
      ok(inode > 0, `ss -tlneH lists the listener: ${stdout}`);
      const dump = createTcpDump({ run, now: () => 0, traffic: false, bufferDump: false });
      const { sockets, skipped } = await dump.listeners();
      deepStrictEqual(skipped, []);
      const ours = sockets.filter((s) => s.local_port === port || s.remote_port === port);
      deepStrictEqual(ours.map((s) => [s.local_ip, s.status, s.inode]), [["127.0.0.1", "LISTEN", inode]]);
      ok(sockets.every((s) => s.status === "LISTEN"), "no connection among them");
    } finally {
      client.close();
      accepted.close();
      listener.close();
    }
  },
});

/** /proc/net/tcp rows: an established connection from 127.0.0.1:`port` to :80, with `inode`. */
function row(port: number, inode: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return `   1: 0100007F:${hex} 0100007F:0050 01 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1`;
}

/** The rows given, in a ProcTcpRows. */
function rowsOf(...lines: string[]): ProcTcpRows {
  const rows = new ProcTcpRows();
  for (const line of lines) ok(rows.addLine(line), line);
  return rows;
}

/** The bytes of the dump `ss -taD -` would write for these rows (a ProcTcpRows writes the same messages). */
function dumpOf(...lines: string[]): Uint8Array {
  let bytes = new Uint8Array();
  rowsOf(...lines).readBy(
    { push: (chunk: Uint8Array) => bytes = chunk.slice() } as unknown as InetDiagReader,
  );
  return bytes;
}

Deno.test("createTcpDump().readRows: rows that leave out a socket the last reading listed are not read (the dump runs, and lists it as the same object); then dumps until a reading closes none", async () => {
  const memory = new InetDiagMemory();
  let dumped = dumpOf(row(5000, 11), row(5001, 12));
  const ran: string[] = [];
  const run: RunTool = (command, args, options) => {
    ran.push([command, ...args].join(" "));
    options?.onChunk?.(dumped);
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  const dump = createTcpDump({ run, now: () => 0, traffic: true, bufferDump: false, memory });
  const summary = { ipv4: 2, ipv6: 0, timeWait: 0 };
  const first = (await dump.read(summary, true, 0)).sockets;
  deepStrictEqual([first.length, dump.rowsWorth], [2, true]);
  // The same two, one of them twice (/proc/net/tcp can list a socket twice while sockets come and go): listed once.
  const again = dump.readRows(rowsOf(row(5000, 11), row(5001, 12), row(5001, 12)), summary, 2);
  deepStrictEqual(again?.sockets.map((s, i) => s === first[i]), [true, true]);
  // Rows without 12 (a row /proc skipped, or a socket closed): not read; the dump lists 12 still, the same object.
  deepStrictEqual(dump.readRows(rowsOf(row(5000, 11)), summary, 2), null);
  deepStrictEqual(dump.rowsWorth, false);
  const confirmed = (await dump.read(summary, false, 2)).sockets;
  deepStrictEqual([confirmed.length, confirmed[1] === first[1], dump.rowsWorth], [2, true, true]);
  // A dump that closes one: the next reading dumps too.
  dumped = dumpOf(row(5000, 11));
  await dump.read(summary, false, 2);
  deepStrictEqual(dump.rowsWorth, false);
  await dump.read(summary, false, 1);
  deepStrictEqual(dump.rowsWorth, true);
});

Deno.test("createTcpDump().readRows reads an IPv6 socket listed twice alike once (IPv6 sockets are read afresh each reading)", async () => {
  const v6 =
    "   2: 00000000000000000000000001000000:1389 00000000000000000000000001000000:0050 01 00000000:00000000 " +
    "00:00000000 00000000     0        0 13 1";
  const run: RunTool = (_command, _args, options) => {
    options?.onChunk?.(dumpOf(row(5000, 11), v6));
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  const dump = createTcpDump({
    run,
    now: () => 0,
    traffic: true,
    bufferDump: false,
    memory: new InetDiagMemory(),
  });
  const summary = { ipv4: 1, ipv6: 1, timeWait: 0 };
  await dump.read(summary, true, 0);
  const read = dump.readRows(rowsOf(row(5000, 11), v6, v6), summary, 2);
  deepStrictEqual(read?.sockets.map((s) => [s.local_ip, s.inode]), [["127.0.0.1", 11], ["::1", 13]]);
});

Deno.test("createTcpDump().rowFamilies asks for the tables a dump would; rows of both that list a family the counts said was empty make every later reading ask for both", () => {
  const v6 =
    "   2: 00000000000000000000000001000000:1389 00000000000000000000000001000000:0050 01 00000000:00000000 " +
    "00:00000000 00000000     0        0 13 1";
  const { run } = recording("runs");
  const dump = createTcpDump({
    run,
    now: () => 100_000,
    traffic: false,
    bufferDump: false,
    memory: new InetDiagMemory(),
  });
  const summary = { ipv4: 1, ipv6: 0, timeWait: 0 };
  const asked: string[] = [];
  const readRows = (...lines: string[]) => {
    const families = dump.rowFamilies(summary);
    asked.push(`${families.ipv4 ? "4" : ""}${families.ipv6 ? "6" : ""}`);
    return dump.readRows(rowsOf(...lines), summary, 2);
  };
  for (let i = 0; i < FAMILY_CHECK_EVERY; i++) ok(readRows(row(5000, 11)) !== null);
  // Every FAMILY_CHECK_EVERY readings both, which check the counts: true here, so IPv4's alone again after.
  deepStrictEqual(asked.splice(0), [...Array(FAMILY_CHECK_EVERY - 1).fill("4"), "46"]);
  for (let i = 0; i < FAMILY_CHECK_EVERY - 1; i++) ok(readRows(row(5000, 11)) !== null);
  deepStrictEqual(asked.splice(0), Array(FAMILY_CHECK_EVERY - 1).fill("4"));
  // The next check finds an IPv6 socket the counts did not count.
  ok(readRows(row(5000, 11), v6) !== null);
  deepStrictEqual(asked.splice(0), ["46"]);
  for (let i = 0; i < 3; i++) readRows(row(5000, 11), v6);
  deepStrictEqual(asked, ["46", "46", "46"]);
});

Deno.test("createTcpDump() asks for both families at least every BOTH_FAMILIES_EVERY_MS, so a TIME-WAIT socket of a connection shorter than a poll is listed within its 60 s at any interval", async () => {
  const { run, ran } = recording("runs");
  let clock = 0;
  const dump = createTcpDump({ run, now: () => clock, traffic: false, bufferDump: false });
  const step = BOTH_FAMILIES_EVERY_MS / 3; // a poll every 10 s (-t 10): 3 readings, not FAMILY_CHECK_EVERY
  for (let i = 0; i < 6; i++) {
    clock += step;
    await dump.read({ ipv4: 3, ipv6: 0, timeWait: 1 }, false, 10);
  }
  // The start counts as a time both families had sockets: IPv6 lingers TIME_WAIT_MS (65 s), both until then.
  deepStrictEqual(ran, Array(6).fill("ss -taD -"));
  ran.length = 0;
  for (let i = 0; i < 6; i++) {
    clock += step;
    await dump.read({ ipv4: 3, ipv6: 0, timeWait: 1 }, false, 10);
  }
  deepStrictEqual(ran, [
    "ss -taD - -4",
    "ss -taD - -4",
    "ss -taD -",
    "ss -taD - -4",
    "ss -taD - -4",
    "ss -taD -",
  ]);
});

Deno.test("createTcpDump(): an IPv6 socket in TIME-WAIT the counts never counted (opened and closed between two readings) is asked for from the reading of both that lists it, until TIME_WAIT_MS after", () => {
  // [::1]:5001 to [::1]:80 in TIME-WAIT (06), as /proc/net/tcp6 lists one: no inode.
  const timeWait6 =
    "   2: 00000000000000000000000001000000:1389 00000000000000000000000001000000:0050 06 00000000:00000000 " +
    "03:00000D6A 00000000     0        0 0 3";
  const { run } = recording("runs");
  let clock = 100_000;
  const dump = createTcpDump({ run, now: () => clock, traffic: false, bufferDump: false });
  // TCP6 counts none; the TIME-WAIT socket is one of no family in the counts.
  const summary = { ipv4: 1, ipv6: 0, timeWait: 1 };
  const asked: string[] = [];
  const reading = (...lines: string[]) => {
    clock += 1_000;
    const families = dump.rowFamilies(summary);
    asked.push(`${families.ipv4 ? "4" : ""}${families.ipv6 ? "6" : ""}`);
    dump.readRows(rowsOf(...lines.filter((l) => families.ipv6 || l !== timeWait6)), summary, 2);
  };
  // No IPv6 socket counted since the start: both (BOTH_FAMILIES_EVERY_MS has passed), then IPv4's alone until the
  // next reading of both, which lists the socket that went into TIME-WAIT meanwhile.
  clock += TIME_WAIT_MS;
  reading(row(5000, 11));
  for (let i = 0; i < FAMILY_CHECK_EVERY; i++) reading(row(5000, 11), timeWait6);
  deepStrictEqual(asked.splice(0), ["46", ...Array(FAMILY_CHECK_EVERY - 1).fill("4"), "46"]);
  // The check listed it: both from then on while it is listed, not one reading in FAMILY_CHECK_EVERY.
  for (let i = 0; i < 3; i++) reading(row(5000, 11), timeWait6);
  deepStrictEqual(asked.splice(0), ["46", "46", "46"]);
  // Once it has ended, IPv4's alone again TIME_WAIT_MS after it was last listed (after one reading of both: the
  // last was BOTH_FAMILIES_EVERY_MS ago).
  clock += TIME_WAIT_MS;
  reading(row(5000, 11));
  reading(row(5000, 11));
  deepStrictEqual(asked.splice(0), ["46", "4"]);
});

Deno.test("createTcpDump(): rows of both families asked for at BOTH_FAMILIES_EVERY_MS and not read (one left out) leave the dump after them to read both", async () => {
  const memory = new InetDiagMemory();
  const ran: string[] = [];
  const run: RunTool = (command, args, options) => {
    ran.push([command, ...args].join(" "));
    options?.onChunk?.(dumpOf(row(5000, 11), row(5001, 12)));
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  let clock = 0;
  const dump = createTcpDump({ run, now: () => clock, traffic: false, bufferDump: false, memory });
  const summary = { ipv4: 2, ipv6: 0, timeWait: 1 };
  // A poll every 10 s (-t 10), no IPv6 socket since the start for longer than TIME_WAIT_MS.
  clock = TIME_WAIT_MS + 5_000;
  for (let i = 0; i < 3; i++, clock += 10_000) await dump.read(summary, false, 2);
  deepStrictEqual(ran.splice(0), ["ss -taD -", "ss -taD - -4", "ss -taD - -4"]);
  // BOTH_FAMILIES_EVERY_MS since the last reading of both: the rows are asked for both, and leave 12 out.
  deepStrictEqual(dump.rowFamilies(summary), { ipv4: true, ipv6: true });
  deepStrictEqual(dump.readRows(rowsOf(row(5000, 11)), summary, 2), null);
  // The dump that reads in their place is the poll's reading of both.
  await dump.read(summary, false, 2);
  deepStrictEqual(ran, ["ss -taD -"]);
});

Deno.test("createTcpDump().readColumns() keeps the dump's sockets as columns, though the runner reuses its buffer, and refuses a dump cut short", async () => {
  const sockets = Array.from({ length: 3_000 }, (_, i) => row(1024 + i, 5_000 + i));
  const dump = dumpOf(...sockets);
  const ran: string[] = [];
  const runOf = (bytes: Uint8Array): RunTool => (command, args, options) => {
    ran.push([command, ...args].join(" "));
    const buffer = new Uint8Array(4096);
    for (let at = 0; at < bytes.length; at += buffer.length) {
      const chunk = buffer.subarray(0, Math.min(buffer.length, bytes.length - at));
      chunk.set(bytes.subarray(at, at + chunk.length));
      options?.onChunk?.(chunk);
      buffer.fill(0);
    }
    return Promise.resolve({ code: 0, stdout: "", stderr: "" });
  };
  const tcp = createTcpDump({ run: runOf(dump), now: () => 0, traffic: true, bufferDump: true });
  // Room for 10 sockets, as the summary counts: the columns grow to the 3,000 the dump lists.
  const { columns, skipped } = await tcp.readColumns({ ipv4: 10, ipv6: 0, timeWait: 0 });
  deepStrictEqual(ran, ["ss -taD - -4"]); // no counters, no stdbuf: one family, as the summary says
  deepStrictEqual([columns.length, skipped], [3_000, []]);
  deepStrictEqual(columns.sockets(0, 3_000), parseInetDiagDump(dump).sockets);
  const cut = createTcpDump({
    run: runOf(dump.subarray(0, 5_000)),
    now: () => 0,
    traffic: false,
    bufferDump: false,
  });
  await rejects(cut.readColumns(null), SyntaxError);
});
