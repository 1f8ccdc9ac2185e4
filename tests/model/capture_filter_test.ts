import { deepStrictEqual, ok } from "node:assert/strict";
import { captureFilters, filterTarget } from "../../lib/model/capture_filter.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { parseNetstat } from "../../lib/parse/netstat.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import { parseLsof } from "../../lib/parse/lsof.ts";
import { fixture } from "../fixture.ts";
import { connection } from "../monitor/_connections.ts";
import { hasTool } from "../open_sockets.ts";

const base: Connection = connection({ pid: 42, process_name: "curl", process_path: null, user: null });

/** Connections of every shape a filter must name: both families, both protocols, every direction. */
const SHAPES: Connection[] = [
  base,
  { ...base, direction: "incoming", local_port: 22, remote_port: 51234 },
  { ...base, direction: "unknown", local_port: 40000, remote_port: 40001 },
  { ...base, protocol: "UDP", status: "CONNECTED", remote_ip: "192.0.2.53", remote_port: 53 },
  { ...base, family: 6, local_ip: "2001:db8::2", remote_ip: "2001:DB8:0::7", remote_port: 8443 },
  { ...base, family: 6, local_ip: "fe80::2%eth0", remote_ip: "fe80::1%eth0", remote_port: 5353 },
  { ...base, family: 4, remote_ip: "::ffff:198.51.100.9", remote_port: 80 },
  {
    ...base,
    direction: "listening",
    status: "LISTEN",
    local_ip: "0.0.0.0",
    local_port: 8377,
    remote_ip: null,
    remote_port: null,
  },
  {
    ...base,
    direction: "listening",
    status: "LISTEN",
    local_ip: "::",
    local_port: 25,
    remote_ip: null,
    remote_port: null,
  },
  {
    ...base,
    protocol: "UDP",
    direction: "listening",
    status: "UNCONNECTED",
    local_ip: "127.0.0.53",
    local_port: 53,
    remote_ip: null,
    remote_port: null,
  },
];

/** Connections from real captured output of every collector family. */
function capturedConnections(): Connection[] {
  return [
    ...parseSs(fixture("ss-tunapeH_iproute2-6.1_debian12.txt")).sockets,
    ...parseSs(fixture("ss-a_ubuntu-18.04_all-families.txt")).sockets,
    ...parseNetstat(fixture("netstat-ano_windows10.txt")).sockets,
    ...parseNetstat(fixture("netstat-anv-p-tcp_macos26.txt")).sockets,
    ...parseLsof(fixture("lsof-F_lsof-4.95_debian12.txt")).sockets,
  ].flatMap((s) => toConnections([s], ""));
}

Deno.test("filterTarget() names the peer and the service port, and leaves a wildcard listener's address out", () => {
  deepStrictEqual(SHAPES.map(filterTarget), [
    { protocol: "TCP", host: "203.0.113.7", family: 4, ports: [443] },
    { protocol: "TCP", host: "203.0.113.7", family: 4, ports: [22] },
    { protocol: "TCP", host: "203.0.113.7", family: 4, ports: [40000, 40001] },
    { protocol: "UDP", host: "192.0.2.53", family: 4, ports: [53] },
    { protocol: "TCP", host: "2001:db8::7", family: 6, ports: [8443] },
    { protocol: "TCP", host: "fe80::1", family: 6, ports: [5353] },
    { protocol: "TCP", host: "198.51.100.9", family: 4, ports: [80] },
    { protocol: "TCP", host: null, family: 4, ports: [8377] },
    { protocol: "TCP", host: null, family: 6, ports: [25] },
    { protocol: "UDP", host: "127.0.0.53", family: 4, ports: [53] },
  ]);
});

Deno.test("filterTarget() refuses an address that is not one, so no text reaches a filter", () => {
  for (const remote of ["203.0.113.7 or port 22", "evil)", "", "host", "1.2.3.4/8"]) {
    deepStrictEqual(filterTarget({ ...base, remote_ip: remote }), null, remote);
  }
  const filters = captureFilters([base, { ...base, remote_ip: "x) or (port 22" }]);
  deepStrictEqual([filters.clauses, filters.skipped], [1, 1]);
  deepStrictEqual(filters.bpf, "(host 203.0.113.7 and tcp port 443)");
});

Deno.test("captureFilters() writes one clause per peer, protocol and port, in a stable order", () => {
  const filters = captureFilters(SHAPES);
  deepStrictEqual(filters.clauses, 10);
  deepStrictEqual(
    filters.bpf,
    "(tcp port 25) or (tcp port 8377) or (host 127.0.0.53 and udp port 53) or (host 192.0.2.53 and udp port 53) or " +
      "(host 198.51.100.9 and tcp port 80) or (host 2001:db8::7 and tcp port 8443) or " +
      "(host 203.0.113.7 and tcp port 22) or (host 203.0.113.7 and tcp port 443) or " +
      "(host 203.0.113.7 and tcp port 40000 and tcp port 40001) or (host fe80::1 and tcp port 5353)",
  );
  ok(
    filters.wireshark.startsWith(
      "(tcp.port == 25) || (tcp.port == 8377) || (ip.addr == 127.0.0.53 && udp.port == 53)",
    ),
  );
  ok(filters.wireshark.includes("(ipv6.addr == 2001:db8::7 && tcp.port == 8443)"));
  deepStrictEqual(captureFilters([...SHAPES].reverse()), filters);
  deepStrictEqual(captureFilters([]), { bpf: "", wireshark: "", clauses: 0, skipped: 0 });
});

/** Every filter, one by one and all together, that these connections give. */
function allFilters(connections: readonly Connection[]): { bpf: string[]; wireshark: string[] } {
  const each = connections.map((c) => captureFilters([c])).filter((f) => f.clauses > 0);
  const together = captureFilters(connections);
  return {
    bpf: [...new Set([...each.map((f) => f.bpf), together.bpf])],
    wireshark: [...new Set([...each.map((f) => f.wireshark), together.wireshark])],
  };
}

async function tcpdumpAccepts(filter: string): Promise<string | null> {
  // -y EN10MB compiles for Ethernet without opening an interface.
  const out = await new Deno.Command("tcpdump", {
    args: ["-d", "-y", "EN10MB", filter],
    stdout: "null",
    stderr: "piped",
  })
    .output();
  return out.success ? null : new TextDecoder().decode(out.stderr).trim();
}

Deno.test({
  name: "captureFilters() BPF: tcpdump -d compiles every filter from every shape and every captured output",
  ignore: !hasTool("tcpdump"),
  async fn() {
    const connections = [...SHAPES, ...capturedConnections()];
    ok(connections.length > 100, `only ${connections.length} connections from the fixtures`);
    const { bpf } = allFilters(connections);
    for (const filter of bpf) deepStrictEqual(await tcpdumpAccepts(filter), null, filter);
    // The check can fail: tcpdump refuses a broken filter.
    ok(await tcpdumpAccepts("(host 203.0.113.7 and tcp port 443") !== null);
  },
});

/** tshark reads an empty capture with each display filter; it exits non-zero on one it cannot parse. */
async function tsharkRefusals(filters: readonly string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    const pcap = `${dir}/empty.pcap`;
    const header = new DataView(new ArrayBuffer(24));
    header.setUint32(0, 0xa1b2c3d4, true);
    header.setUint16(4, 2, true);
    header.setUint16(6, 4, true);
    header.setUint32(16, 65535, true);
    header.setUint32(20, 1, true);
    await Deno.writeFile(pcap, new Uint8Array(header.buffer));
    const refused: string[] = [];
    for (const filter of filters) {
      const out = await new Deno.Command("tshark", {
        args: ["-r", pcap, "-Y", filter],
        stdout: "null",
        stderr: "piped",
        env: { HOME: dir },
      }).output();
      if (!out.success) refused.push(`${filter}: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return refused;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "captureFilters() Wireshark: tshark accepts every display filter from every shape and captured output",
  ignore: !hasTool("tshark"),
  async fn() {
    // tshark takes a third of a second a run: each shape alone, then every captured clause in one filter.
    const { wireshark } = allFilters(SHAPES);
    const captured = captureFilters(capturedConnections());
    ok(captured.clauses > 50, `only ${captured.clauses} clauses from the fixtures`);
    deepStrictEqual(await tsharkRefusals([...wireshark, captured.wireshark]), []);
    deepStrictEqual((await tsharkRefusals(["(ip.addr == 203.0.113.7 &&& tcp.port == 443)"])).length, 1);
  },
});
