/**
 * Commands run end to end on a platform of fakes: parsed as main.ts parses
 * them and run by main.ts's own dispatch, with programs, files, DNS and the
 * clock all scripted. Nothing of the real machine is reached (the fake has no
 * real program, file or socket behind it), which is what lib/'s platform
 * object is for.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../main.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import { fakePlatform } from "./_fake_platform.ts";

const SS_OUTPUT = Deno.readTextFileSync(
  fileURLToPath(new URL("../fixtures/ss-tunapeH_iproute2-6.1_debian12.txt", import.meta.url)),
);

Deno.test("snapshot --save runs on a fake platform: ss from its programs, the JSON history in its files", async () => {
  const platform = fakePlatform({
    programs: { "ss -tunapeH": SS_OUTPUT },
    env: { HOME: "/home/ana" },
  });
  const code = await runCommand(
    parseArgs(["snapshot", "--format", "json", "--save", "--store", "json"]),
    platform,
  );
  deepStrictEqual(code, 0);
  const sockets = parseSs(SS_OUTPUT).sockets;
  const printed = JSON.parse(platform.stdoutText());
  deepStrictEqual(printed.length, sockets.length);
  deepStrictEqual(printed.map((c: { local_port: number }) => c.local_port), sockets.map((s) => s.local_port));
  // No find or ps on this platform: the snapshot's own walk of the descriptors gives way to ss -p.
  deepStrictEqual(platform.ran.filter((line) => line.startsWith("ss ")).at(-1), "ss -tunapeH");
  const saved = platform.fileTexts.get("/home/ana/.local/share/conntrail/conntrail_snapshots.json");
  ok(saved !== undefined, [...platform.fileTexts.keys()].join(", "));
  ok(
    saved.includes(`"local_port": ${sockets[0]!.local_port}`) ||
      saved.includes(`"local_port":${sockets[0]!.local_port}`),
  );
  ok(
    platform.stderrText().includes(`saved snapshot 1 (${sockets.length} connections) in json `),
    platform.stderrText(),
  );
});

Deno.test("check runs on a fake platform: the block list from its files, addresses and names from its DNS", async () => {
  const platform = fakePlatform({
    files: { "/lists/ips.txt": "45.33.32.156\nbad.example\n" },
    dns: {
      "A bad.example": ["93.184.216.34"],
      "PTR 156.32.33.45.in-addr.arpa": ["listed.example."],
      "PTR 34.216.184.93.in-addr.arpa": ["bad.example."],
    },
  });
  const code = await runCommand(
    parseArgs([
      "check",
      "45.33.32.156",
      "bad.example",
      "--blocklist",
      "/lists/ips.txt",
      "--format",
      "json",
      "--fail-on",
      "blocklisted",
    ]),
    platform,
  );
  deepStrictEqual(code, 3);
  const results = JSON.parse(platform.stdoutText()) as {
    ip: string;
    blocklist: string | null;
    hostname: string | null;
  }[];
  deepStrictEqual(
    results.map((r) => [r.ip, r.blocklist !== null, r.hostname]),
    [["45.33.32.156", true, "listed.example"], ["93.184.216.34", true, "bad.example"]],
  );
  deepStrictEqual(platform.ran, []);
});

Deno.test("monitor runs on a fake platform: polls from its programs, its clock, the history in its files", async () => {
  const platform = fakePlatform({
    programs: { "ss -tunapeH": SS_OUTPUT, "ss -tunaeH": SS_OUTPUT },
    env: { HOME: "/home/ana" },
  });
  const code = await runCommand(
    parseArgs(["monitor", "--count", "3", "--format", "ndjson", "--store", "json", "--no-traffic"]),
    platform,
  );
  deepStrictEqual(code, 0, platform.stderrText());
  const events = platform.stdoutText().trim().split("\n").map((line) => JSON.parse(line));
  const sockets = parseSs(SS_OUTPUT).sockets;
  deepStrictEqual(events.filter((e) => e.event === "NEW").length, sockets.length);
  // The monitor reads TCP from the kernel's dump (UDP and the summary first, `ss -uaneH -s`), --no-traffic
  // too; this platform's ss has none, so the monitor reads text from then on. The first reading lists the
  // sockets (ss -tunaeH) beside its own walk of the descriptors; this platform has no find or ps, so that walk
  // gives way to ss -p, once; the later polls read owners from the cache.
  deepStrictEqual(platform.ran.filter((line) => line.startsWith("ss ")), [
    "ss -uaneH -s",
    "ss -tunaeH",
    "ss -tunapeH",
    "ss -tunaeH",
    "ss -tunaeH",
  ]);
  // Stamped by the fake's clock (it starts at 2026-11-21 14:30 UTC), not the real one.
  deepStrictEqual(
    [...new Set(events.filter((e) => e.event === "NEW").map((e) => Date.parse(e.timestamp)))],
    [Date.UTC(2026, 10, 21, 14, 30, 0)],
  );
  ok(
    platform.fileTexts.has("/home/ana/.local/share/conntrail/ip_history.json"),
    [...platform.fileTexts.keys()].join(),
  );
});
