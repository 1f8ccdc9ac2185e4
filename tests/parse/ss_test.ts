import { deepStrictEqual, ok, throws } from "node:assert/strict";
import {
  parseSs,
  parseSsInodeOwners,
  parseSsOwners,
  splitSsSummary,
  SsLineMemory,
  SsTextReader,
} from "../../lib/parse/ss.ts";
import { fixture } from "../fixture.ts";

Deno.test("parseSs() reads every row of iproute2 6.1 output with the header glued to Process", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tunap_iproute2-6.1.txt"));
  deepStrictEqual(sockets.length, 11);
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets[0], {
    protocol: "UDP",
    family: 4,
    local_ip: "127.0.0.1",
    local_port: 47124,
    remote_ip: "127.0.0.1",
    remote_port: 47125,
    status: "CONNECTED",
    pid: 11541,
    process_name: "python3",
    process_path: null,
    user: null,
    inode: null,
  });
  const v6Listener = sockets.find((s) => s.family === 6 && s.status === "LISTEN");
  deepStrictEqual([v6Listener?.local_ip, v6Listener?.remote_ip], ["::1", null]);
});

Deno.test("parseSs() reads conntrail's own -tunapeH arguments with uid and inode", () => {
  const { sockets } = parseSs(fixture("ss-tunapeH_iproute2-6.1_debian12.txt"));
  deepStrictEqual(sockets.length, 11);
  const halfClosed = sockets.filter((s) => s.status === "CLOSE_WAIT" || s.status === "FIN_WAIT_2");
  deepStrictEqual(halfClosed.length, 2);
  deepStrictEqual(sockets.every((s) => s.user === "0" && (s.inode ?? 0) > 0), true);
  deepStrictEqual(sockets.find((s) => s.status === "UNCONNECTED")?.remote_ip, null);
});

Deno.test("parseSs() keeps rows without users: and reads %scope addresses (non-root view)", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tupna_rhel-desktop_nonroot.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 33);
  deepStrictEqual(sockets.filter((s) => s.pid !== null).length, 5);
  const scoped = sockets.find((s) => s.local_port === 67);
  deepStrictEqual(scoped?.local_ip, "0.0.0.0");
  deepStrictEqual(sockets.filter((s) => s.status === "TIME_WAIT").length, 3);
  const star = sockets.find((s) => s.local_port === 80);
  deepStrictEqual([star?.local_ip, star?.remote_ip], ["0.0.0.0", null]);
});

Deno.test("parseSs() reads old users: fields without pid= and the :::port wildcard", () => {
  const { sockets } = parseSs(fixture("ss-tupna_old-iproute2.txt"));
  const sshd = sockets.find((s) => s.local_port === 22 && s.status === "ESTABLISHED");
  deepStrictEqual([sshd?.pid, sshd?.process_name, sshd?.remote_ip], [11427, "sshd", "192.168.0.101"]);
  const v6 = sockets.find((s) => s.local_port === 6645);
  deepStrictEqual([v6?.local_ip, v6?.family], ["::", 6]);
  deepStrictEqual(sockets.find((s) => s.local_port === 739)?.pid, null);
});

Deno.test("parseSs() takes the first of several processes sharing a socket", () => {
  const { sockets, skipped } = parseSs(fixture("ss-wide_new-header.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 155);
  const shared = sockets.find((s) => s.process_name === "master");
  deepStrictEqual(shared?.pid, 1978854);
  deepStrictEqual(
    parseSsOwners('users:(("rpcbind",pid=895,fd=5),("systemd",pid=1,fd=109))').map((o) => o.pid),
    [895, 1],
  );
});

Deno.test("parseSs() skips and counts other families and reads service names", () => {
  const { sockets, skipped } = parseSs(fixture("ss-a_ubuntu-18.04_all-families.txt"));
  deepStrictEqual(sockets.length, 6);
  deepStrictEqual(skipped.length, 152);
  deepStrictEqual(sockets.find((s) => s.local_ip === "127.0.0.53")?.local_port, 53);
  deepStrictEqual(sockets.filter((s) => s.local_port === 22).length, 2);
});

Deno.test("parseSs() reads uid and inode from -tulpen output", () => {
  const { sockets } = parseSs(fixture("ss-tulpen_ubuntu-18.04.txt"));
  const avahi = sockets.find((s) => s.process_name === "avahi-daemon");
  deepStrictEqual([avahi?.user, avahi?.inode], ["112", 25147]);
});

Deno.test("parseSs() reads IPv4-mapped IPv6 as IPv4 and skips a junk line with a reason", () => {
  const { sockets, skipped } = parseSs(
    'tcp ESTAB 0 0 [::ffff:127.0.0.1]:8080 [::ffff:10.1.2.3]:5000 users:(("java",pid=9,fd=3))\n' +
      "tcp ESTAB 0 0 garbage\n" +
      "tcp ESTAB 0 0 not-an-ip:80 1.2.3.4:5 \n",
  );
  deepStrictEqual([sockets[0]?.family, sockets[0]?.local_ip, sockets[0]?.remote_ip], [
    4,
    "127.0.0.1",
    "10.1.2.3",
  ]);
  deepStrictEqual(skipped.map((s) => s.reason), [
    "fewer than 6 columns",
    'unreadable local address "not-an-ip:80"',
  ]);
});

Deno.test("parseSs() throws SyntaxError on text that is not ss output", () => {
  throws(() => parseSs("hello world\nthis is not ss\n"), SyntaxError);
});

/** Counters by local and remote port, from sockets with byte counters. */
function countersByPorts(sockets: ReturnType<typeof parseSs>["sockets"]) {
  return new Map(sockets.map((s) => [`${s.local_port}>${s.remote_port}`, [s.bytes_sent, s.bytes_received]]));
}

// Ports of the capture (tests/fixtures/README.md): listener 53755, busy client 50726, idle client
// 50728, half-closed client 50732, TIME-WAIT client 50736, IPv6 listener 48135 and client 55616.
const CAPTURED_COUNTERS: [string, [number | null, number | null]][] = [
  ["50726>53755", [1_000_000, 5_000]],
  ["53755>50726", [5_000, 1_000_000]],
  ["50728>53755", [0, 0]], // bytes_acked:1 is the SYN: nothing sent
  ["53755>50728", [0, 0]],
  ["50732>53755", [300, 0]], // FIN-WAIT-2
  ["53755>50732", [0, 301]], // CLOSE-WAIT: the FIN counts in bytes_received
  ["50736>53755", [null, null]], // TIME-WAIT: the kernel keeps no counters
  ["53755>null", [null, null]], // listening
  ["55616>48135", [65_536, 123]],
  ["48135>55616", [123, 65_536]],
  ["40391>52491", [null, null]], // UDP
];

Deno.test("parseSs() reads byte counters from -tunapeiOH, one line per socket (iproute2 6.1)", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tunapeiOH_iproute2-6.1_debian12.txt"), { traffic: true });
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 13);
  const counters = countersByPorts(sockets);
  for (const [ports, expected] of CAPTURED_COUNTERS) {
    deepStrictEqual([ports, counters.get(ports)], [ports, expected]);
  }
  const busy = sockets.find((s) => s.local_port === 50726);
  deepStrictEqual([busy?.pid, busy?.process_name, busy?.inode, busy?.status], [
    25580,
    "python3",
    235923,
    "ESTABLISHED",
  ]);
});

Deno.test("parseSs() reads the same counters from -tunaeiH, information on tab-indented lines", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tunaeiH_iproute2-6.1_debian12.txt"), { traffic: true });
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 13);
  const counters = countersByPorts(sockets);
  for (const [ports, expected] of CAPTURED_COUNTERS) {
    deepStrictEqual([ports, counters.get(ports)], [ports, expected]);
  }
});

Deno.test("parseSs() reads plain `ss -tni` output, which has no Netid column", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tni_iproute2-6.1_debian12.txt"), { traffic: true });
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 8);
  deepStrictEqual(sockets.every((s) => s.protocol === "TCP"), true);
  deepStrictEqual(sockets.find((s) => s.status === "CLOSE_WAIT")?.bytes_received, 301);
  deepStrictEqual(countersByPorts(sockets).get("50726>53755"), [1_000_000, 5_000]);
  deepStrictEqual(sockets.find((s) => s.family === 6 && s.local_port === 55616)?.remote_ip, "::1");
});

Deno.test("parseSs() takes bytes_acked for bytes sent from iproute2 before 4.20 (no bytes_sent)", () => {
  const { sockets, skipped } = parseSs(fixture("ss-taeip_old-iproute2_published.txt"), { traffic: true });
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.map((s) => [s.pid, s.bytes_sent, s.bytes_received]), [[6467, 0, 26], [
    129270,
    0,
    26,
  ]]);
  const old = "tcp ESTAB 0 0 10.0.0.2:40000 198.51.100.7:443 ino:5 sk:1 <->\n" +
    "\t cubic wscale:7,7 rto:204 mss:1448 cwnd:10 bytes_acked:52341 bytes_received:1877 segs_out:61 segs_in:40";
  const [socket] = parseSs(old, { traffic: true }).sockets;
  deepStrictEqual([socket?.bytes_sent, socket?.bytes_received], [52341, 1877]);
});

Deno.test("parseSs() without traffic passes over -i lines and adds no counter fields", () => {
  const { sockets, skipped } = parseSs(fixture("ss-tunaeiH_iproute2-6.1_debian12.txt"));
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.length, 13);
  deepStrictEqual(sockets.some((s) => "bytes_sent" in s || "bytes_received" in s), false);
});

Deno.test("parseSs() does not let a process name pose as a byte counter", () => {
  const line = 'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:6000 users:(("bytes_sent:9999",pid=5,fd=3)) ' +
    "ino:9 sk:1 <-> cubic cwnd:10 segs_in:2";
  const [socket] = parseSs(line, { traffic: true }).sockets;
  deepStrictEqual([socket?.process_name, socket?.bytes_sent, socket?.bytes_received], [
    "bytes_sent:9999",
    0,
    0,
  ]);
});

Deno.test("parseSs() skips a row without Netid column whose protocol cannot be told", () => {
  const { sockets, skipped } = parseSs(
    "ESTAB 0 0 127.0.0.1:5000 127.0.0.1:6000\nLISTEN 0 8 127.0.0.1:7000 0.0.0.0:*",
  );
  deepStrictEqual(sockets.map((s) => [s.protocol, s.status]), [["TCP", "LISTEN"]]);
  deepStrictEqual(skipped.length, 1);
  deepStrictEqual(skipped[0]?.reason.startsWith("no Netid column"), true);
});

Deno.test("parseSs({ protocol: 'UDP' }) reads `ss -uaneH`, whose rows have no Netid column, as UDP", () => {
  // Captured from `ss -uaneH` (iproute2 6.1, Debian 12) beside bench/socket_farm.py's connected UDP sockets.
  const text = "UNCONN 0      0      127.0.0.1:41201 0.0.0.0:* ino:5655436 sk:14f785 cgroup:/ <->\n" +
    "ESTAB 0      0      127.0.0.1:40236 127.0.0.1:41201 ino:5655437 sk:14f786 cgroup:/ <->\n" +
    "ESTAB 0      0      [::1]:53 [::1]:40000 uid:1000 ino:5655438 sk:14f787 cgroup:/ v6only:1 <->\n";
  const { sockets, skipped } = parseSs(text, { traffic: true, protocol: "UDP" });
  deepStrictEqual(skipped, []);
  deepStrictEqual(sockets.map((s) => [s.protocol, s.status, s.local_port, s.inode, s.bytes_sent]), [
    ["UDP", "UNCONNECTED", 41201, 5655436, null],
    ["UDP", "CONNECTED", 40236, 5655437, null],
    ["UDP", "CONNECTED", 53, 5655438, null],
  ]);
  // Without being told, the same rows cannot be told from TCP and are skipped, not guessed.
  deepStrictEqual(parseSs(text).sockets.length, 0);
});

Deno.test("parseSsInodeOwners() names the owner parseSs() reads for every socket with an inode", () => {
  for (
    const name of [
      "ss-tunapeH_iproute2-6.1_debian12.txt",
      "ss-tulpen_ubuntu-18.04.txt",
      "ss-tapeiOH_iproute2-6.1_debian12.txt",
    ]
  ) {
    const text = fixture(name);
    const expected = new Map<number, { pid: number; name: string } | null>();
    for (const s of parseSs(text, { protocol: "TCP" }).sockets) {
      if (s.inode) expected.set(s.inode, s.pid === null ? null : { pid: s.pid, name: s.process_name ?? "" });
    }
    ok(expected.size > 0, name);
    deepStrictEqual(parseSsInodeOwners(text), expected, name);
  }
  // A process name may hold " ino:": the field is the last one.
  const tricky = 'tcp ESTAB 0 0 127.0.0.1:1 127.0.0.1:2 users:(("a ino:9",pid=5,fd=3)) ino:77 sk:1 <->';
  deepStrictEqual([...parseSsInodeOwners(tricky)], [[77, { pid: 5, name: "a ino:9" }]]);
});

Deno.test("SsTextReader reads output split anywhere, in bytes, as parseSs reads it whole", () => {
  const names = [
    "ss-tunapeH_iproute2-6.1_debian12.txt",
    "ss-tunap_iproute2-6.1.txt",
    "ss-a_ubuntu-18.04_all-families.txt",
    "ss-tunapeiOH_iproute2-6.1_debian12.txt",
  ];
  // A name of several bytes a character, a CRLF capture, a last line without its newline, a blank end.
  const texts = [
    ...names.map(fixture),
    'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("火狐",pid=7,fd=3)) ino:9 sk:1 <->',
    fixture("ss-tunapeH_iproute2-6.1_debian12.txt").replaceAll("\n", "\r\n"),
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:9 sk:1 <->\r\n\r\n",
  ];
  for (const text of texts) {
    const bytes = new TextEncoder().encode(text);
    for (const options of [{}, { traffic: true }]) {
      const whole = parseSs(text, options);
      for (const size of [1, 2, 7, 100, 65_536]) {
        const reader = new SsTextReader(options);
        for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
        deepStrictEqual(reader.end(), whole, `${size}-byte chunks of ${JSON.stringify(text.slice(0, 40))}`);
      }
    }
  }
});

// `ss -uaneH` as the monitor's --traffic reading runs it (iproute2 6.1): connected and bound UDP sockets.
const UDP_ROWS = [
  "ESTAB  0      0      127.0.0.1:51708 127.0.0.1:46385 ino:12217466 sk:3732fd cgroup:/ <->",
  "ESTAB  0      0      127.0.0.1:35485 127.0.0.1:46385 ino:12217471 sk:3732fe cgroup:/ <->",
  "UNCONN 0      0      0.0.0.0:5353    0.0.0.0:*       uid:104 ino:2558470 sk:1 cgroup:/system.slice/avahi-daemon.service <->",
  "UNCONN 0      0      [::]:5353       [::]:*          uid:104 ino:2558471 sk:2 cgroup:/system.slice/avahi-daemon.service v6only:1 <->",
];
const UDP_OPTIONS = { traffic: true, protocol: "UDP" as const };

Deno.test("parseSs() with an SsLineMemory gives the same sockets as without, and an unchanged line's socket again", () => {
  const memory = new SsLineMemory();
  const text = UDP_ROWS.join("\n");
  const first = parseSs(text, { ...UDP_OPTIONS, memory });
  deepStrictEqual(first, parseSs(text, UDP_OPTIONS));
  deepStrictEqual(first.sockets.length, 4);
  deepStrictEqual(memory.size, 4);
  // What a collector fills in after a reading is undone when the socket is given again.
  for (const s of first.sockets) {
    s.pid = 42;
    s.process_name = "avahi-daemon";
    s.process_path = "/usr/sbin/avahi-daemon";
    if (s.user !== null) s.user = "avahi";
  }
  // The second socket's queue moved (a new line), the third closed, one opened.
  const changed = "ESTAB  300    0      127.0.0.1:35485 127.0.0.1:46385 ino:12217471 sk:3732fe cgroup:/ <->";
  const opened = "UNCONN 0      0      127.0.0.1:9999  0.0.0.0:*       ino:12300000 sk:9 cgroup:/ <->";
  const next = [UDP_ROWS[0]!, changed, UDP_ROWS[3]!, opened].join("\n");
  const second = parseSs(next, { ...UDP_OPTIONS, memory });
  deepStrictEqual(second, parseSs(next, UDP_OPTIONS));
  deepStrictEqual(second.sockets.map((s, i) => s === first.sockets[[0, 1, 3][i] ?? -1]), [
    true,
    false,
    true,
    false,
  ]);
  deepStrictEqual(second.sockets[2]?.user, "104");
  deepStrictEqual(second.sockets[2]?.process_path, null);
  // Lines the last reading did not list are forgotten.
  deepStrictEqual(memory.size, 4);
  parseSs(UDP_ROWS[0]!, { ...UDP_OPTIONS, memory });
  deepStrictEqual(memory.size, 1);
});

Deno.test("parseSs() with an SsLineMemory: the same line twice in one reading makes two sockets; TCP rows are always read", () => {
  const memory = new SsLineMemory();
  const twice = [UDP_ROWS[0]!, UDP_ROWS[0]!].join("\n");
  parseSs(twice, { ...UDP_OPTIONS, memory });
  const { sockets } = parseSs(twice, { ...UDP_OPTIONS, memory });
  deepStrictEqual(sockets.length, 2);
  ok(sockets[0] !== sockets[1]);
  deepStrictEqual(sockets[0], sockets[1]);
  // A TCP row's counters are on the line after it: its own line says nothing of them, so it is not kept.
  const tcp = new SsLineMemory();
  const row = "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:7 sk:1 <->";
  const before = parseSs(`${row}\n\t cubic bytes_sent:300 bytes_acked:301 bytes_received:4096`, {
    traffic: true,
    memory: tcp,
  });
  const after = parseSs(`${row}\n\t cubic bytes_sent:900 bytes_acked:901 bytes_received:4096`, {
    traffic: true,
    memory: tcp,
  });
  deepStrictEqual(tcp.size, 0);
  deepStrictEqual([before.sockets[0]?.bytes_sent, after.sockets[0]?.bytes_sent], [300, 900]);
});

// `ss -uaneH -s` on this machine (iproute2 6.1, kernel 6.18), in a namespace with 1,000 loopback connections and
// 100 connected UDP sockets; the listing cut to two rows.
const SUMMARY_CAPTURE = [
  "Total: 2101",
  "TCP:   44948 (estab 2000, closed 42947, orphaned 0, timewait 0)",
  "",
  "Transport Total     IP        IPv6",
  "RAW\t  0         0         0        ",
  "UDP\t  100       100       0        ",
  "TCP\t  2001      2001      0        ",
  "INET\t  2101      2101      0        ",
  "FRAG\t  0         0         0        ",
  "",
  UDP_ROWS[0],
  UDP_ROWS[1],
  "",
].join("\n");

Deno.test("splitSsSummary() reads ss -s's TCP counts and leaves the listing after it to parseSs", () => {
  const { summary, listing } = splitSsSummary(SUMMARY_CAPTURE);
  deepStrictEqual(summary, { ipv4: 2001, ipv6: 0, timeWait: 0 });
  deepStrictEqual(listing, `${UDP_ROWS[0]}\n${UDP_ROWS[1]}\n`);
  deepStrictEqual(parseSs(listing, UDP_OPTIONS).skipped, []);
  // The host namespace at the same time: TIME-WAIT sockets, and IPv6 ones.
  const host = SUMMARY_CAPTURE.replace("timewait 0)", "timewait 49)").replace(
    "2001      2001      0",
    "1010 1006 4",
  );
  deepStrictEqual(splitSsSummary(host).summary, { ipv4: 1006, ipv6: 4, timeWait: 49 });
});

Deno.test("splitSsSummary() without a summary, without a listing, and with a summary it cannot read", () => {
  // No -s (an ss run by a test, or output saved without it): all listing.
  deepStrictEqual(splitSsSummary(UDP_ROWS.join("\n")), { summary: null, listing: UDP_ROWS.join("\n") });
  // No UDP socket: the summary alone.
  const alone = SUMMARY_CAPTURE.slice(0, SUMMARY_CAPTURE.indexOf(UDP_ROWS[0]!));
  deepStrictEqual(splitSsSummary(alone), { summary: { ipv4: 2001, ipv6: 0, timeWait: 0 }, listing: "" });
  deepStrictEqual(splitSsSummary(alone.trimEnd()).listing, "");
  // A summary whose TCP row says something else: no counts (both families are dumped), the rows still apart.
  const odd = SUMMARY_CAPTURE.replace("TCP\t  2001      2001      0", "TCP\t  2001      many      0");
  deepStrictEqual(splitSsSummary(odd), { summary: null, listing: `${UDP_ROWS[0]}\n${UDP_ROWS[1]}\n` });
  deepStrictEqual(splitSsSummary(SUMMARY_CAPTURE.replace("timewait 0", "time-wait 0")).summary, null);
});

/** The same text with every row read the general way: a leading space, which ss never prints, skips the common-row reader. */
function generalWay(text: string): string {
  return text.split("\n").map((line) => line.startsWith("\t") ? line : ` ${line}`).join("\n");
}

/** What parseSs read: the sockets, and each skipped line (without the space generalWay added) with its reason. */
function readOf(text: string, spaced: boolean) {
  const { sockets, skipped } = parseSs(text);
  return {
    sockets,
    skipped: skipped.map((s) => [spaced && s.line.startsWith(" ") ? s.line.slice(1) : s.line, s.reason]),
  };
}

Deno.test("parseSs() asked for one protocol reads a row without a Netid column (ss -u or -t alone) by the expression as the general way reads it", () => {
  const rows = [
    "ESTAB 0      0      127.0.0.1:45111 127.0.0.1:35413 ino:5063113 sk:1caf1c cgroup:/ <->",
    "UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:1 <->",
    "UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* uid:991 ino:16 sk:8",
    "UNCONN 0 0 *:5353 *:* uid:101 ino:14 sk:6",
    "UNCONN 0 0 [*%x:y]:5353 [*%x:y]:* ino:14",
    "UNCONN 0 0 [::]:5353 [::]:* ino:20 sk:2 cgroup:/ v6only:1 <->",
    "ESTAB 0 0 [::ffff:127.0.0.1]:5000 [::ffff:127.0.0.1]:53 ino:9 sk:1",
    "ESTAB 0 0 127.0.0.1:5000 127.0.0.1:0 ino:0 sk:3",
    "LISTEN 0 128 0.0.0.0:22 0.0.0.0:* uid:1000 ino:12 sk:2 cgroup:/ <->",
    "SYN-SENT 0 1 10.0.0.2:40000 93.184.216.34:443 uid:1000 ino:77 sk:4 <->",
    "TIME-WAIT 0 0 127.0.0.1:5000 127.0.0.1:80 timer:(timewait,59sec,0) ino:0 sk:1",
    'UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* users:(("avahi-daemon",pid=7,fd=12)) uid:101 ino:9 sk:2 <->',
    'ESTAB 0 0 127.0.0.1:5001 127.0.0.1:80 users:(("a",pid=1,fd=2),("b",pid=3,fd=4)) ino:112 sk:5',
    "ESTAB 0 0 127.0.0.1:99999 127.0.0.1:80 ino:5",
    "ESTAB 0 0 300.1.1.1:5000 127.0.0.1:80 ino:5",
    "ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80",
    "weird 0 0 127.0.0.1:5000 127.0.0.1:80 ino:5",
    "udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:1 <->",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:1000 ino:111 sk:1 cgroup:/ <->",
  ];
  const text = rows.join("\n");
  for (const protocol of ["UDP", "TCP"] as const) {
    const readAs = (text: string, spaced: boolean) => {
      const { sockets, skipped } = parseSs(text, { protocol });
      return {
        sockets,
        skipped: skipped.map((s) => [spaced && s.line.startsWith(" ") ? s.line.slice(1) : s.line, s.reason]),
      };
    };
    deepStrictEqual(readAs(text, false), readAs(generalWay(text), true));
    // Read as the protocol asked for, the rows with a Netid as theirs.
    deepStrictEqual(
      parseSs(text, { protocol }).sockets.map((s) => s.protocol),
      [...Array(14).fill(protocol), "UDP", "TCP"],
    );
  }
});

Deno.test("parseSs() reads the common ss -tunaeH row (one expression) as the general way reads it, and leaves every other row to it", () => {
  const rows = [
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:1000 ino:111 sk:1 cgroup:/ <->",
    "udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:1 <->",
    "tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* ino:12 sk:2 cgroup:/ <->",
    "tcp LISTEN 0 128 127.0.0.1:22 *:* ino:12",
    "udp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:0 ino:0 sk:3",
    "tcp ESTAB 0 0 127.0.0.1:5000 0.0.0.0:0 ino:5 sk:3",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:* ino:5",
    "tcp ESTAB 0 0 127.0.0.1:99999 127.0.0.1:80 ino:5",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:65536 ino:5",
    "tcp ESTAB 0 0 300.1.1.1:5000 127.0.0.1:80 ino:5",
    "tcp ESTAB 0 0 010.1.1.1:5000 127.0.0.1:80 ino:5",
    "tcp SYN-SENT 0 1 10.0.0.2:40000 93.184.216.34:443 uid:1000 ino:77 sk:4 <->",
    "tcp weird-state 0 0 10.0.0.2:40000 93.184.216.34:443 ino:77",
    "tcp estab 0 0 10.0.0.2:40000 93.184.216.34:443 ino:77",
    "tcp ESTAB 0 0 127.0.0.1:00080 127.0.0.1:80 uid:0001 ino:0009 sk:1",
    "udp\tESTAB\t0\t0\t127.0.0.1:5000\t127.0.0.1:53\tino:8\tsk:1",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:1000 ino:111abc",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:1234567890123456789 sk:1",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:99999999999999999999 ino:3 sk:1",
    'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:1000 ino:111 sk:1 users:(("x",pid=1,fd=2))',
    'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("x",pid=1,fd=2)) uid:1000 ino:111 sk:1',
    "tcp TIME-WAIT 0 0 127.0.0.1:5000 127.0.0.1:80 timer:(timewait,59sec,0) ino:0 sk:1",
    "tcp ESTAB 0 0 [::1]:5000 [::1]:80 ino:9 sk:1",
    "tcp ESTAB 0 0 [::ffff:127.0.0.1]:5000 [::ffff:127.0.0.1]:80 ino:9 sk:1",
    "tcp LISTEN 0 4096 [::]:22 [::]:* ino:13 sk:5 cgroup:/ v6only:1 <->",
    "udp UNCONN 0 0 *:5353 *:* uid:101 ino:14 sk:6",
    "udp UNCONN 0 0 [*]:5353 [*]:* ino:14",
    "udp UNCONN 0 0 [*%x:y]:5353 [*%x:y]:* ino:14",
    "tcp ESTAB 0 0 [FE80::1%eth0]:22 [fe80::2%eth0]:50000 uid:1000 ino:15 sk:7",
    "udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* uid:991 ino:16 sk:8",
    "tcp ESTAB 0 0 [2001:db8::1]:443 [2001:db8::2]:0 ino:17",
    "tcp ESTAB 0 0 [::]:443 [::]:0 ino:17",
    "tcp ESTAB 0 0 [2600:1700:bab0:d]:443 [::1]:80 ino:18",
    "tcp ESTAB 0 0 []:443 [::1]:80 ino:18",
    "tcp ESTAB 0 0 [abc]:443 [::1]:80 ino:18",
    "tcp ESTAB 0 0 [::1]]:443 [::1]:80 ino:18",
    "tcp ESTAB 0 0 1.2.3.4%a]b:80 [::1]:80 ino:18",
    "tcp ESTAB 0 0 [::1]:5000 [::1]:65536 ino:19",
    'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("curl",pid=42,fd=3)) uid:1000 ino:111 sk:1 <->',
    'udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* users:(("avahi-daemon",pid=7,fd=12)) uid:101 ino:9 sk:2 <->',
    'tcp LISTEN 0 128 [::]:22 [::]:* users:(("sshd",pid=1,fd=4)) ino:10 sk:3 cgroup:/ v6only:1 <->',
    'tcp LISTEN 0 128 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=2,fd=6),("nginx",pid=3,fd=6)) ino:11 sk:4',
    'tcp ESTAB 0 0 127.0.0.1:5001 127.0.0.1:80 users:(("ino:5",pid=43,fd=3)) ino:112 sk:5',
    'tcp ESTAB 0 0 127.0.0.1:5002 127.0.0.1:80 users:(("xuid:9",pid=44,fd=3)) ino:113 sk:6',
    'tcp ESTAB 0 0 127.0.0.1:5003 127.0.0.1:80 users:(("a",b",pid=45,fd=3)) ino:114 sk:7',
    'tcp ESTAB 0 0 127.0.0.1:5004 127.0.0.1:80 users:(("a)b",pid=46,fd=3)) ino:115 sk:8',
    'tcp ESTAB 0 0 127.0.0.1:5005 127.0.0.1:80 users:(("",pid=47,fd=3)) ino:116 sk:9',
    'tcp ESTAB 0 0 127.0.0.1:5006 127.0.0.1:80 users:(("\u001b[31mx y",pid=48,fd=3)) uid:0 ino:117 sk:a',
    'tcp ESTAB 0 0 127.0.0.1:5007 127.0.0.1:80 users:(("old",49,3)) ino:118 sk:b',
    'tcp ESTAB 0 0 127.0.0.1:5008 127.0.0.1:80 users:(("nofd",pid=50)) ino:119 sk:c',
    'tcp ESTAB 0 0 127.0.0.1:5009 127.0.0.1:80 users:(("big",pid=123456789012345678,fd=3)) ino:120 sk:d',
    'tcp ESTAB 0 0 127.0.0.1:5010 127.0.0.1:80 users:(("w",pid=51,fd=3))  uid:7  ino:121 sk:e',
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 uid:1000 uid:5 ino:111",
    "tcp ESTAB 0 0 127.0.0.1:5000\u00a0127.0.0.1:80 ino:111",
    "tcp ESTAB x y 127.0.0.1:5000 127.0.0.1:80 ino:111",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80",
    "raw UNCONN 0 0 127.0.0.1:5000 127.0.0.1:80 ino:5",
    "tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:5 sk:1\u001b[31m",
  ];
  const text = rows.join("\n");
  // normalizeIp keeps what it read of an address's text (the family `*` stands for too), so the two ways
  // share it: the rows whose reading depends on that family are checked by value, read this way first.
  const read = (row: string) =>
    parseSs(row).sockets.map((
      s,
    ) => [s.family, s.local_ip, s.local_port, s.remote_ip, s.remote_port, s.status]);
  // `*` is IPv6's wildcard when the address's text has a colon (a zone may give it one), IPv4's otherwise.
  deepStrictEqual(read("udp UNCONN 0 0 [*]:5353 [*]:* ino:14"), [[
    4,
    "0.0.0.0",
    5353,
    null,
    null,
    "UNCONNECTED",
  ]]);
  deepStrictEqual(read("udp UNCONN 0 0 [*%x:y]:5353 [*%x:y]:* ino:14"), [[
    6,
    "::",
    5353,
    null,
    null,
    "UNCONNECTED",
  ]]);
  deepStrictEqual(read("tcp LISTEN 0 4096 [::]:22 [::]:* ino:13 sk:5 cgroup:/ v6only:1 <->"), [
    [6, "::", 22, null, null, "LISTEN"],
  ]);
  deepStrictEqual(read("udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* uid:991 ino:16 sk:8"), [
    [4, "127.0.0.53", 53, null, null, "UNCONNECTED"],
  ]);
  deepStrictEqual(read("tcp ESTAB 0 0 [FE80::1%eth0]:22 [fe80::2%eth0]:50000 uid:1000 ino:15 sk:7"), [
    [6, "fe80::1", 22, "fe80::2", 50000, "ESTABLISHED"],
  ]);
  const owners = (row: string) => parseSs(row).sockets.map((s) => [s.pid, s.process_name, s.user, s.inode]);
  deepStrictEqual(
    owners(
      'tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 users:(("curl",pid=42,fd=3)) uid:1000 ino:111 sk:1 <->',
    ),
    [[42, "curl", "1000", 111]],
  );
  deepStrictEqual(read(text), read(generalWay(text)));
  deepStrictEqual(readOf(text, false), readOf(generalWay(text), true));
  // The rows read both ways are many: the comparison is not of two empty lists.
  ok(parseSs(text).sockets.length >= 20);
  for (
    const name of ["ss-tunaeiH_iproute2-6.1_debian12.txt", "ss-E-tunH_iproute2-6.1_debian12_nonroot.txt"]
  ) {
    const capture = fixture(name);
    deepStrictEqual(readOf(capture, false), readOf(generalWay(capture), true));
  }
});
