/** `conntrail filter` end to end, under the flags `permissions` prints, on loopback connections the test opens. */
import { deepStrictEqual, match } from "node:assert/strict";
import { freshLoopback, hasTool, withTempDirAndSockets } from "./open_sockets.ts";
import { runConntrail } from "./conntrail_process.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

Deno.test({
  name: "conntrail filter prints the filters of the selected live connections, and fails on none",
  ignore: !linuxWithSs,
  async fn() {
    await withTempDirAndSockets(async (dir, control) => {
      const ip = freshLoopback();
      const conn = await control.open(ip);
      const both = await runConntrail(dir, ["filter", "--remote", ip, "--no-listening"]);
      deepStrictEqual(both.code, 0, both.stderr);
      deepStrictEqual(
        both.stdout.split("\n").filter((line) => !line.startsWith("#")),
        [`(host ${ip} and tcp port ${conn.port})`, `(ip.addr == ${ip} && tcp.port == ${conn.port})`, ""],
      );
      const bpf = await runConntrail(dir, ["filter", "--pid", String(control.pid), "--syntax", "bpf"]);
      deepStrictEqual(bpf.stdout, `(host ${ip} and tcp port ${conn.port})\n`);
      if (hasTool("tcpdump")) {
        const compiled = await new Deno.Command("tcpdump", {
          args: ["-d", "-y", "EN10MB", bpf.stdout.trim()],
        })
          .output();
        deepStrictEqual(compiled.success, true);
      }
      // With the pid too: on the whole machine, another test's socket may use the same port number.
      const wireshark = await runConntrail(dir, [
        "filter",
        "--port",
        String(conn.port),
        "--pid",
        String(control.pid),
        "--syntax",
        "wireshark",
      ]);
      deepStrictEqual(wireshark.stdout, `(ip.addr == ${ip} && tcp.port == ${conn.port})\n`);
      await control.close(conn.id);
      const none = await runConntrail(dir, ["filter", "--remote", ip, "--no-listening"]);
      deepStrictEqual([none.code, none.stdout], [1, ""]);
      match(
        none.stderr,
        new RegExp(`error: no live connection matches --remote ${ip.replaceAll(".", "\\.")}`),
      );
      // A usage error needs no permission at all.
      const main = new URL("../main.ts", import.meta.url).pathname;
      const usage = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-prompt", main, "filter", "--remote", "not-an-ip"],
      }).output();
      deepStrictEqual(usage.code, 2);
      match(
        new TextDecoder().decode(usage.stderr),
        /^error: --remote must be an IP address, not "not-an-ip"\n$/,
      );
    });
  },
});
