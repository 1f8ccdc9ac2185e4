import {
  CHECK_REPUTATION_WAITS,
  type CheckIo,
  type CheckOptions,
  runCheck,
} from "../../lib/cli/check_command.ts";
import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { addressResolver } from "../../lib/enrich/blocklist_files.ts";
import { ptrResolver } from "../../lib/enrich/reverse_dns.ts";
import { GOOD_KEY, startAbuseIpdbServer } from "../abuseipdb_server.ts";
import { startDnsServer } from "../dns_server.ts";
import { recordedIo } from "./_output_recorder.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir } from "../temp_dir.ts";

const platform = denoPlatform();

function checkOptions(args: string[]): CheckOptions {
  const command = parseArgs(["check", ...args]);
  if (command.kind !== "check") throw new Error(`not a check command: ${JSON.stringify(command)}`);
  return command.options;
}

function checkIo(
  overrides: Partial<CheckIo> & { env?: Map<string, string> },
): { io: CheckIo; stdout: () => string; stderr: () => string } {
  const { env, ...rest } = overrides;
  const recorded = recordedIo(env === undefined ? {} : { env });
  return { io: { ...recorded.io, ...rest }, stdout: recorded.stdout, stderr: recorded.stderr };
}

Deno.test("check gives lists, AbuseIPDB levels (and its country without --lookup-country) and reverse DNS for IPs and domains, from loopback servers", async () => {
  const dns = await startDnsServer(
    { "9.9.9.9": "\x1b[31mevil.example.", "8.8.8.8": "dns.google." },
    [],
    new Map([["bad.example", ["9.9.9.9"]], ["fine.example", ["8.8.8.8"]]]),
  );
  const abuse = startAbuseIpdbServer((ip) => ({ score: ip === "9.9.9.9" ? 88 : 3, country: "DE" }));
  await using temp = await tempDir();
  const dir = temp.path;
  const list = join(dir, "ips.txt");
  await Deno.writeTextFile(list, "# mine\n1.2.3.0/24\ngone.example\n");
  const server = { ipAddr: "127.0.0.1", port: dns.port };
  try {
    const run = checkIo({
      env: new Map([["ABUSEAPI", GOOD_KEY], ["ABUSE_URL", abuse.url]]),
      resolveAddresses: addressResolver(platform.network, server),
      ptr: ptrResolver(platform.network, server),
    });
    const code = await runCheck(
      checkOptions([
        "1.2.3.4",
        "bad.example",
        "fine.example",
        "10.0.0.1",
        "gone.example",
        "--blocklist",
        list,
        "--format",
        "json",
        "--fail-on",
        "malicious",
        "--no-lookup-country",
      ]),
      run.io,
    );
    deepStrictEqual(code, 3);
    const results = JSON.parse(run.stdout());
    deepStrictEqual(
      results.map((
        r: Record<string, unknown>,
      ) => [r.query, r.ip, r.blocklist, r.risk_level, r.abuse_score, r.country]),
      [
        ["1.2.3.4", "1.2.3.4", `${list}:2 1.2.3.0/24`, "SAFE", 3, "DE"],
        ["bad.example", "9.9.9.9", null, "MALICIOUS", 88, "DE"],
        ["fine.example", "8.8.8.8", null, "SAFE", 3, "DE"],
        ["10.0.0.1", "10.0.0.1", null, null, null, null],
        ["gone.example", null, `${list}:3 gone.example`, null, null, null],
      ],
    );
    deepStrictEqual(results[2].hostname, "dns.google");
    // The domain an address came from (the query), next to its PTR name; none for an address given.
    deepStrictEqual(results.map((r: Record<string, unknown>) => r.domain), [
      null,
      "bad.example",
      "fine.example",
      null,
      "gone.example",
    ]);
    match(results[3].note, /private or special: lists not consulted/);
    deepStrictEqual(abuse.requests.map((r) => r.ip).sort(), ["1.2.3.4", "8.8.8.8", "9.9.9.9"]);
    ok(!run.stdout().includes(GOOD_KEY) && !run.stderr().includes(GOOD_KEY));
    match(run.stderr(), /--fail-on malicious: exit code 3/);

    const table = checkIo({
      resolveAddresses: addressResolver(platform.network, server),
      ptr: ptrResolver(platform.network, server),
    });
    deepStrictEqual(await runCheck(checkOptions(["9.9.9.9", "--blocklist", list]), table.io), 0);
    ok(table.stdout().includes("evil.example"), table.stdout());
    ok(!table.stdout().includes("\x1b"), "an escape from DNS reached the table");
  } finally {
    await abuse.close();
    await dns.close();
  }
});

Deno.test("check refuses what is neither an IP nor a domain, and --fail-on unexpected", async () => {
  await rejects(
    runCheck(checkOptions(["not an address"]), checkIo({}).io),
    /neither an IP address nor a domain/,
  );
  const parsed = parseArgs(["check", "8.8.8.8", "--fail-on", "unexpected"]);
  deepStrictEqual(parsed.kind === "print" && [parsed.exitCode, parsed.stderr], [
    2,
    "error: --fail-on unexpected applies to the monitor only\n",
  ]);
});

Deno.test("check --lookup-country --lookup-asn answers US / AS15169 for Google's DNS from the embedded data", async () => {
  const run = checkIo({});
  const options = checkOptions([
    "8.8.8.8",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "--lookup-country",
    "--lookup-asn",
    "--no-resolve-names",
    "--format",
    "json",
  ]);
  deepStrictEqual(await runCheck(options, run.io), 0);
  deepStrictEqual(
    JSON.parse(run.stdout()).map((r: Record<string, unknown>) => [r.ip, r.country, r.asn, r.as_org]),
    [
      ["8.8.8.8", "US", 15169, "Google LLC"],
      ["2001:4860:4860::8888", "US", 15169, "Google LLC"],
      ["8.8.8.8", "US", 15169, "Google LLC"],
    ],
  );
  const table = checkIo({});
  deepStrictEqual(await runCheck(checkOptions(["8.8.8.8", "--no-resolve-names"]), table.io), 0);
  match(table.stdout(), /8\.8\.8\.8 +8\.8\.8\.8 +- +- +- +US +AS15169 Google LLC/);
  const off = checkIo({});
  const offOptions = checkOptions([
    "8.8.8.8",
    "--no-lookup-country",
    "--no-lookup-asn",
    "--no-resolve-names",
    "--format",
    "json",
  ]);
  deepStrictEqual(await runCheck(offOptions, off.io), 0);
  deepStrictEqual(JSON.parse(off.stdout())[0].country, null);
  deepStrictEqual(JSON.parse(off.stdout())[0].asn, null);
});

/** An address in each special-purpose range (RFC 6890 and IANA's registries), and a public neighbour of some. */
const SPECIAL = [
  "0.1.2.3", // "this network"
  "10.1.2.3",
  "100.64.0.1", // CGNAT
  "127.0.0.1",
  "169.254.1.1",
  "172.16.0.1",
  "192.0.0.9", // IETF protocol assignments
  "192.0.2.1", // TEST-NET-1
  "192.88.99.1", // deprecated 6to4 relay anycast
  "192.168.1.1",
  "198.18.0.1", // benchmarking
  "198.51.100.9", // TEST-NET-2
  "203.0.113.7", // TEST-NET-3
  "224.0.0.251", // multicast
  "240.0.0.1", // reserved
  "255.255.255.255",
  "::1",
  "::ffff:192.168.1.1",
  "100::1", // discard
  "2001:2::1", // benchmarking
  "2001:10::1", // ORCHID
  "2001:db8::1", // documentation
  "3fff::1", // documentation (RFC 9637)
  "fd00::1", // unique local
  "fe80::1", // link-local
  "ff02::fb", // multicast
];
const PUBLIC_NEIGHBOURS = [
  "203.0.114.1",
  "198.51.101.1",
  "192.0.3.1",
  "100.128.0.1",
  "172.32.0.1",
  "2001:dc0::1",
];

Deno.test("check gives special-purpose addresses no country and no AS whatever the data says; their public neighbours keep theirs", async () => {
  const run = checkIo({});
  const options = checkOptions([...SPECIAL, ...PUBLIC_NEIGHBOURS, "--no-resolve-names", "--format", "json"]);
  deepStrictEqual(await runCheck(options, run.io), 0, run.stderr());
  const results = JSON.parse(run.stdout()) as { query: string; country: string | null; asn: number | null }[];
  deepStrictEqual(
    results.filter((r) => SPECIAL.includes(r.query) && (r.country !== null || r.asn !== null)),
    [],
    "a special-purpose address got a country or an AS",
  );
  deepStrictEqual(
    results.filter((r) => PUBLIC_NEIGHBOURS.includes(r.query) && r.country === null).map((r) => r.query),
    [],
    "a public neighbour lost its country",
  );
  // The embedded data does place some of them (203.0.113.7 in AU, 2001:db8::1 in JP): the rule is conntrail's.
  const table = checkIo({});
  await runCheck(checkOptions(["203.0.113.7", "2001:db8::1", "--no-resolve-names"]), table.io);
  ok(!/ (AU|JP) /.test(table.stdout()), table.stdout());
});

Deno.test("a block list of only private and special addresses says once that it can never match, unless --include-private", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const special = join(dir, "lan.txt");
    const mixed = join(dir, "mixed.txt");
    await Deno.writeTextFile(special, "# my LAN\n10.0.0.5\n192.168.1.0/24\n192.0.2.0/24\nfd00::/8\n");
    await Deno.writeTextFile(mixed, "10.0.0.5\n8.8.8.8\n");
    const args = ["10.0.0.5", "--no-resolve-names", "--blocklist", special, "--blocklist", mixed];
    const run = checkIo({});
    deepStrictEqual(await runCheck(checkOptions(args), run.io), 0);
    const notes = run.stderr().split("\n").filter((line) => line.includes("can raise no alert"));
    deepStrictEqual(notes, [
      `note: ${special}: its 4 entries are all private or special addresses, which lists are not matched against without --include-private; it can raise no alert`,
    ]);
    const included = checkIo({});
    deepStrictEqual(await runCheck(checkOptions([...args, "--include-private"]), included.io), 0);
    ok(!included.stderr().includes("can raise no alert"), included.stderr());
    match(included.stdout(), /lan\.txt:2 10\.0\.0\.5/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check on a rate limit (429, Retry-After: 3600) does not wait: the addresses are UNKNOWN, `rate limited until HH:MM`", async () => {
  const abuse = startAbuseIpdbServer(() => ({ status: 429, retryAfter: 3600, detail: "Daily rate limit" }));
  const waits: number[] = [];
  try {
    const run = checkIo({
      env: new Map([["ABUSEAPI", GOOD_KEY], ["ABUSE_URL", abuse.url]]),
      reputationWaits: {
        ...CHECK_REPUTATION_WAITS,
        // Records what check would wait; a wait past the bound fails the test instead of hanging it.
        sleep: (ms) => {
          waits.push(ms);
          return ms > CHECK_REPUTATION_WAITS.patienceMs
            ? Promise.reject(new Error(`check waited ${ms} ms`))
            : Promise.resolve();
        },
      },
    });
    const before = Date.now();
    const code = await runCheck(
      checkOptions(["8.8.8.8", "1.1.1.1", "--no-resolve-names", "--format", "json"]),
      run.io,
    );
    deepStrictEqual(code, 0);
    const after = Date.now();
    const two = (n: number) => String(n).padStart(2, "0");
    const day = (d: Date) => `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
    // The time alone on the day of the answer; with its date when the hour ahead is tomorrow (a run after 23:00).
    const text = (until: Date, answeredAt: Date) =>
      `${day(until) === day(answeredAt) ? "" : `${day(until)} `}${two(until.getHours())}:${
        two(until.getMinutes())
      }`;
    // The minute (or the day) may turn between the request, the answer and this line.
    const expected = [before, after].flatMap((at) =>
      [at + 3_600_000, at + 3_600_000 + 60_000].map((until) =>
        `rate limited until ${text(new Date(until), new Date(at))}`
      )
    );
    const results = JSON.parse(run.stdout());
    deepStrictEqual(results.map((r: Record<string, unknown>) => r.risk_level), ["UNKNOWN", "UNKNOWN"]);
    for (const result of results) ok(expected.includes(result.note), `${result.note} is none of ${expected}`);
    deepStrictEqual(waits, []);
    deepStrictEqual(abuse.requests.length, 1);
    match(run.stderr(), /AbuseIPDB's rate limit is reached; no more checks until/);
  } finally {
    await abuse.close();
  }
});

Deno.test("check retries a 5xx once, within its bound, then says UNKNOWN with the reason", async () => {
  const abuse = startAbuseIpdbServer(() => ({ status: 503 }));
  const waits: number[] = [];
  try {
    const run = checkIo({
      env: new Map([["ABUSEAPI", GOOD_KEY], ["ABUSE_URL", abuse.url]]),
      reputationWaits: {
        ...CHECK_REPUTATION_WAITS,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    });
    deepStrictEqual(
      await runCheck(checkOptions(["9.9.9.9", "--no-resolve-names", "--format", "json"]), run.io),
      0,
    );
    const [result] = JSON.parse(run.stdout());
    deepStrictEqual([result.risk_level, result.note], ["UNKNOWN", "AbuseIPDB did not answer (HTTP 503)"]);
    deepStrictEqual(waits, [1_000]);
    deepStrictEqual(abuse.requests.length, 2);
  } finally {
    await abuse.close();
  }
});
