import { deepStrictEqual, ok } from "node:assert/strict";
import type { Collector } from "../../lib/collect/collector.ts";
import { createLsofCollector } from "../../lib/collect/lsof_collector.ts";
import { createNetstatCollector } from "../../lib/collect/netstat_collector.ts";
import { createProcCollector } from "../../lib/collect/proc_collector.ts";
import { createSsCollector } from "../../lib/collect/ss_collector.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { freshLoopback, hasTool, openSockets, socketControl } from "../open_sockets.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import type { Programs } from "../../lib/platform/platform.ts";
import { type RunTool, toolRunner } from "../../lib/collect/run_tool.ts";

const platform = denoPlatform();

const linux = Deno.build.os === "linux";

type Row = [string, string, number, number | null, string, string];

/** Each collector must find the helper's sockets with the same status, direction, name and path. */
async function checkCollector(create: () => Collector) {
  const sockets = await openSockets();
  const collector = create();
  try {
    // Twice: the second reading goes through the owner caches.
    for (const round of [1, 2]) {
      const result = await collector.collect();
      const mine = toConnections(result.sockets, "now").filter((c) => c.pid === sockets.pid);
      const row = (
        c: Connection,
      ): Row => [c.protocol, c.local_ip, c.local_port, c.remote_port, c.status, c.direction];
      const byPort = (a: Row, b: Row) => a[2] - b[2] || (a[3] ?? 0) - (b[3] ?? 0);
      const s = sockets;
      const expected: Row[] = [
        ["TCP", "127.0.0.1", s.tcp4_listen, null, "LISTEN", "listening"],
        ["TCP", "127.0.0.1", s.tcp4_client, s.tcp4_listen, "ESTABLISHED", "outgoing"],
        ["TCP", "127.0.0.1", s.tcp4_listen, s.tcp4_client, "ESTABLISHED", "incoming"],
        ["TCP", "::1", s.tcp6_listen, null, "LISTEN", "listening"],
        ["TCP", "::1", s.tcp6_client, s.tcp6_listen, "ESTABLISHED", "outgoing"],
        ["TCP", "::1", s.tcp6_listen, s.tcp6_client, "ESTABLISHED", "incoming"],
        ["TCP", "127.0.0.1", s.half_listen, null, "LISTEN", "listening"],
        ["TCP", "127.0.0.1", s.half_client, s.half_listen, "FIN_WAIT_2", "outgoing"],
        ["TCP", "127.0.0.1", s.half_listen, s.half_client, "CLOSE_WAIT", "incoming"],
        ["UDP", "127.0.0.1", s.udp_unconnected, null, "UNCONNECTED", "listening"],
        ["UDP", "127.0.0.1", s.udp_connected, s.udp_unconnected, "CONNECTED", "outgoing"],
      ];
      deepStrictEqual(mine.map(row).sort(byPort), expected.sort(byPort), `round ${round}`);
      deepStrictEqual(new Set(mine.map((c) => c.process_name)), new Set(["python3"]), `round ${round}`);
      deepStrictEqual(new Set(mine.map((c) => c.process_path)), new Set([sockets.exe]), `round ${round}`);
      deepStrictEqual(new Set(mine.map((c) => c.family === 6 ? c.local_ip : "4")), new Set(["4", "::1"]));
    }
  } finally {
    await collector.close?.();
    await sockets.close();
  }
}

Deno.test({
  name:
    "createSsCollector({ platform }) finds real loopback sockets with pid, name, path, state and direction",
  ignore: !linux || !hasTool("ss"),
  fn: () => checkCollector(() => createSsCollector({ platform })),
});

Deno.test({
  name:
    "createSsCollector({ platform, once }) finds the same real sockets, their processes named by its own walk (find, ps)",
  ignore: !linux || !hasTool("ss") || !hasTool("find") || !hasTool("cat"),
  fn: () => checkCollector(() => createSsCollector({ platform, once: true })),
});

Deno.test({
  name:
    "createSsCollector({ platform, traffic }) finds the same real sockets, UDP too (read by `ss -uaneH`, no Netid column)",
  ignore: !linux || !hasTool("ss"),
  fn: () => checkCollector(() => createSsCollector({ platform, traffic: true })),
});

Deno.test({
  name:
    "createProcCollector({ platform }) finds real loopback sockets with pid, name, path, state and direction",
  ignore: !linux,
  fn: () => checkCollector(() => createProcCollector({ platform })),
});

Deno.test({
  name:
    "createNetstatCollector({ platform }) finds real loopback sockets with pid, name, path, state and direction",
  ignore: !linux || !hasTool("netstat"),
  fn: () => checkCollector(() => createNetstatCollector({ platform })),
});

Deno.test({
  name:
    "createLsofCollector({ platform }) finds real loopback sockets with pid, name, path, state and direction",
  ignore: !linux || !hasTool("lsof"),
  fn: () => checkCollector(() => createLsofCollector({ platform })),
});

Deno.test({
  name: "createSsCollector({ platform, traffic }) reads the bytes a real loopback connection moved",
  ignore: !linux || !hasTool("ss"),
  fn: async () => {
    const control = socketControl();
    try {
      const connection = await control.open(freshLoopback());
      await control.send(connection.id, 100_000, 2_000);
      const collector = createSsCollector({ platform, traffic: true });
      try {
        await countersTwice(collector, connection);
      } finally {
        await collector.close?.();
      }
    } finally {
      await control.stop();
    }
  },
});

/** Read the counters of the connection `connection` moved 100,000 and 2,000 bytes on, twice (with -p, without). */
async function countersTwice(
  collector: Collector,
  connection: { ip: string; port: number; client_port: number },
): Promise<void> {
  for (const round of [1, 2]) { // the second reading runs without -p
    const { sockets } = await collector.collect();
    const mine = sockets.filter((s) => s.local_ip === connection.ip);
    const counters = (local: number, remote: number | null) =>
      mine.filter((s) => s.local_port === local && s.remote_port === remote)
        .map((s) => [s.bytes_sent, s.bytes_received]);
    // bytes_received counts each byte once; bytes_sent counts retransmissions too (a loaded machine
    // retransmits even on loopback), so it is at least what was sent.
    const [[clientSent, clientReceived] = []] = counters(connection.client_port, connection.port);
    const [[serverSent, serverReceived] = []] = counters(connection.port, connection.client_port);
    deepStrictEqual([clientReceived, serverReceived], [2_000, 100_000], `round ${round}`);
    ok((clientSent ?? 0) >= 100_000 && (clientSent ?? 0) < 200_000, `round ${round}: ${clientSent}`);
    ok((serverSent ?? 0) >= 2_000 && (serverSent ?? 0) < 4_000, `round ${round}: ${serverSent}`);
    deepStrictEqual(counters(connection.port, null), [[null, null]], `round ${round}`); // the listener
  }
}

Deno.test({
  name:
    "createSsCollector({ platform, traffic }) asked for no counters reads TCP without them (/proc's rows below TCP_ROWS_BELOW sockets, else ss -taD -) and keeps each socket's last ones",
  ignore: !linux || !hasTool("ss"),
  fn: async () => {
    const control = socketControl();
    try {
      const connection = await control.open(freshLoopback());
      await control.send(connection.id, 100_000, 2_000);
      const runs: string[] = [];
      const real = toolRunner(platform.programs);
      const run: RunTool = (command, args, options) => {
        runs.push([command, ...args].join(" "));
        return real(command, args, options);
      };
      const collector = createSsCollector({ platform, run, traffic: true });
      const received = async (counters: boolean) => {
        runs.length = 0;
        const { sockets } = await collector.collect({ counters });
        // How TCP was read: with counters (`ss -taiD -`), or without them (`ss -taD -`, /proc's rows, or rows
        // that a dump confirmed: this host's other sockets may close meanwhile, see TcpDump.readRows).
        const tcpRows = runs.some((r) => r.startsWith("cat ") && r.includes("/proc/net/tcp"));
        const dumps = [
          ...new Set([...runs.filter((r) => / -ta[i]?D -/.test(r)), ...(tcpRows ? ["rows"] : [])]
            .map((r) => r.includes("-taiD"))),
        ];
        const side = (local: number, remote: number) =>
          sockets.find((s) =>
            s.local_ip === connection.ip && s.local_port === local && s.remote_port === remote
          )
            ?.bytes_received;
        return [
          dumps,
          side(connection.client_port, connection.port),
          side(
            connection.port,
            connection.client_port,
          ),
        ];
      };
      deepStrictEqual(await received(true), [[true], 2_000, 100_000]);
      await control.send(connection.id, 50_000, 3_000);
      // Read without counters: the kernel's are 5,000 and 150,000 now; the last read stand.
      deepStrictEqual(await received(false), [[false], 2_000, 100_000]);
      deepStrictEqual(await received(false), [[false], 2_000, 100_000]);
      deepStrictEqual(await received(true), [[true], 5_000, 150_000]);
      // A connection first listed by a reading without counters has none yet (unknown), not zero.
      const later = await control.open(freshLoopback());
      await control.send(later.id, 1_000, 0);
      runs.length = 0;
      const { sockets } = await collector.collect({ counters: false });
      const fresh = sockets.find((s) => s.local_ip === later.ip && s.local_port === later.client_port);
      deepStrictEqual([fresh?.status, fresh?.bytes_sent, fresh?.bytes_received], ["ESTABLISHED", null, null]);
    } finally {
      await control.stop();
    }
  },
});

Deno.test({
  name:
    "createSsCollector({ platform }) live: one sed kept running prints /proc/net's tables at every reading (no cat), ended by close",
  ignore: !linux || !hasTool("ss") || !hasTool("sed"),
  fn: async () => {
    const started: string[] = [];
    const exits = new Map<string, Promise<unknown>>();
    const programs: Programs = {
      output: (command, args, options) => {
        // cat of /proc/<pid>/stat names the walk's processes; /proc/net is sed's to print.
        started.push(
          command === "cat" && args.every((a) => /^\/proc\/\d+\/stat$/.test(a)) ? "cat stat" : command,
        );
        return platform.programs.output(command, args, options);
      },
      spawn: (command, args, options) => {
        started.push(command);
        const child = platform.programs.spawn(command, args, options);
        exits.set(command, child.status);
        return child;
      },
    };
    const sockets = await openSockets();
    // As the monitor reads (`liveOwnerWalk`): TCP from the kernel's dump or /proc's rows, beside UDP's.
    const collector = createSsCollector({ platform: { ...platform, programs }, dump: true, ownWalk: true });
    try {
      for (let i = 0; i < 3; i++) {
        const { sockets: read } = await collector.collect({ counters: false });
        ok(
          read.some((s) => s.protocol === "UDP" && s.local_port === sockets.udp_unconnected),
          `reading ${i}`,
        );
        ok(read.some((s) => s.protocol === "TCP" && s.local_port === sockets.tcp4_listen), `reading ${i}`);
      }
      // One sed, and no cat of /proc/net: the only cats name the start's walk's processes.
      deepStrictEqual(started.filter((c) => c === "sed" || c === "cat"), ["sed"]);
      ok(started.includes("cat stat"));
    } finally {
      await collector.close?.();
      await sockets.close();
    }
    // Its sed has ended.
    await exits.get("sed");
  },
});
