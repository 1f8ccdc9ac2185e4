import { deepStrictEqual, throws } from "node:assert/strict";
import { parseSs, parseSsOwners } from "../../lib/parse/ss.ts";
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
