import { deepStrictEqual, match, ok } from "node:assert/strict";
import type { EgressDestination, EgressSummary } from "../../lib/model/egress.ts";
import { renderEgressReport } from "../../lib/render/egress_report.ts";

function destination(overrides: Partial<EgressDestination>): EgressDestination {
  return {
    name: "198.51.100.7",
    isDomain: false,
    addresses: [overrides.name ?? "198.51.100.7"],
    ports: [{ protocol: "TCP", port: 443 }],
    processes: ["curl"],
    country: null,
    asn: null,
    as_org: null,
    first_seen: "2026-11-21T14:30:01.000+00:00",
    connections: 1,
    conditions: [],
    ...overrides,
  };
}

function summary(overrides: Partial<EgressSummary>): EgressSummary {
  return {
    started: "2026-11-21T14:30:00.000+00:00",
    ended: "2026-11-21T14:32:10.000+00:00",
    destinations: [],
    alerts: [],
    connections: 0,
    loopback: 0,
    expect: null,
    droppedDestinations: 0,
    droppedAlerts: 0,
    ...overrides,
  };
}

/** The rows of the table under a heading, as arrays of cells. */
function tableAfter(report: string, heading: string): string[][] {
  const lines = report.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`### ${heading}`));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    // A `\|` is inside a cell; only bare pipes separate cells.
    rows.push(line.slice(2, -2).split(/(?<!\\) \| /));
  }
  return rows.slice(2);
}

Deno.test("renderEgressReport lists alerts first, then one row per destination with its verdict and counts", () => {
  const report = renderEgressReport(summary({
    expect: "allowed.txt",
    connections: 4,
    loopback: 3,
    destinations: [
      destination({ name: "198.51.100.7", connections: 3, country: "NL", asn: 64500, as_org: "Example BV" }),
      destination({
        name: "api.example.com",
        isDomain: true,
        addresses: ["203.0.113.5", "203.0.113.6"],
        ports: [{ protocol: "TCP", port: 443 }, { protocol: "UDP", port: 443 }],
        processes: ["python3", null],
        first_seen: "2026-11-21T14:31:02.000+00:00",
        conditions: ["unexpected"],
      }),
    ],
    alerts: [{
      conditions: ["unexpected"],
      severity: "warning",
      destination: "api.example.com",
      address: "203.0.113.5",
      protocol: "TCP",
      port: 443,
      process_name: "python3",
      pid: 77,
      reason: "UNEXPECTED destination (not in allowed.txt)",
      seen: "2026-11-21T14:31:02.000+00:00",
    }],
  }));
  ok(report.indexOf("### Alerts (1)") < report.indexOf("### Destinations (2)"));
  match(report, /\*\*2 destinations, 4 outgoing connections, 2 processes, 1 alert\.\*\*/);
  match(report, /Checked against `allowed\.txt`: \*\*1 destination UNEXPECTED\.\*\*/);
  match(
    report,
    /Watched from 2026-11-21 14:30:00 \+00:00 to 14:32:10 \(2m 10s\)\. 3 connections to loopback/,
  );
  deepStrictEqual(tableAfter(report, "Alerts"), [[
    "**UNEXPECTED**",
    "`python3` (77)",
    "`api.example.com` (`203.0.113.5`)",
    "443/tcp",
    "UNEXPECTED destination (not in allowed\\.txt)",
    "14:31:02",
  ]]);
  deepStrictEqual(tableAfter(report, "Destinations"), [
    [
      "`api.example.com` (`203.0.113.5`, `203.0.113.6`)",
      "443/tcp, 443/udp",
      "`python3`, unknown",
      "—",
      "14:31:02",
      "**UNEXPECTED**",
      "1",
    ],
    ["`198.51.100.7`", "443/tcp", "`curl`", "NL · AS64500 Example BV", "14:30:01", "expected", "3"],
  ]);
});

Deno.test("renderEgressReport without --expect judges nothing and says so; an empty run says so", () => {
  const report = renderEgressReport(summary({ destinations: [destination({})], connections: 1 }));
  match(report, /No `--expect` list/);
  deepStrictEqual(tableAfter(report, "Destinations")[0]?.[5], "—");
  match(report, /### Alerts \(0\)\n\nNone\./);
  match(renderEgressReport(summary({})), /### Destinations \(0\)\n\nNo outgoing connections were seen\./);
});

Deno.test("renderEgressReport lets no HTML, link, extra cell or extra row through from a hostile name", () => {
  const hostile = "<img src=x onerror=alert(1)>|`x`\n| forged | row |";
  const report = renderEgressReport(summary({
    destinations: [destination({ processes: [hostile], as_org: "[click](https://evil.example)", asn: 1 })],
  }));
  const rows = tableAfter(report, "Destinations");
  deepStrictEqual(rows.length, 1);
  deepStrictEqual(rows[0]?.length, 7);
  ok(!report.includes("forged | row"), "a line break in a name started a row");
  ok(!/<img/.test(report.replace(/``[^\n]*``/g, "")), "an HTML tag outside a code span");
  ok(report.includes("\\[click\\](https\\://"), "a link in an AS name was not escaped");
});

/** Where Debian's cmark-gfm (GitHub's Markdown, with its table and autolink extensions) is, if installed. */
const CMARK_GFM = ["/usr/bin/cmark-gfm", "/usr/local/bin/cmark-gfm"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

async function githubHtml(markdown: string): Promise<string> {
  const child = new Deno.Command(CMARK_GFM as string, {
    args: ["-e", "table", "-e", "autolink", "-e", "strikethrough", "-e", "tagfilter"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  return new TextDecoder().decode((await child.output()).stdout);
}

const HOSTILE_TEXTS = [
  "www.evil.example/p",
  "https://evil.example/x",
  "abuse@evil.example",
  "<img src=x onerror=alert(1)>",
  "@octocat",
  "#1",
  "x|y",
  "`a``b`",
  "**b**",
  "~~s~~",
  "[l](http://evil.example)",
  "![i](http://evil.example/i.png)",
  "a\nb",
  "<!--",
];

Deno.test({
  name:
    "renderEgressReport: GitHub's Markdown makes no link, image, emphasis or extra cell of a hostile name, reason or AS",
  ignore: CMARK_GFM === undefined,
  async fn() {
    const report = renderEgressReport(summary({
      expect: HOSTILE_TEXTS[0],
      destinations: HOSTILE_TEXTS.map((text, i) =>
        destination({
          name: i % 2 ? text : `203.0.113.${i}`,
          isDomain: i % 2 === 1,
          addresses: [`203.0.113.${i}`, text],
          processes: [text, null],
          country: text,
          asn: 64500,
          as_org: text,
          conditions: ["unexpected"],
        })
      ),
      alerts: HOSTILE_TEXTS.map((text, i) => ({
        process_name: text,
        pid: i,
        destination: text,
        address: `203.0.113.${i}`,
        port: 443,
        protocol: "TCP" as const,
        reason: `blocklist ${text}:3 ${text}`,
        seen: "2026-11-21T14:30:01.000+00:00",
        conditions: ["blocklisted" as const],
        severity: "error" as const,
      })),
    }));
    const html = await githubHtml(report);
    deepStrictEqual(html.match(/<(a|img|em|del|script)\b[^>]*>/g), null, html);
    // Verdicts and the headline are conntrail's own bold.
    deepStrictEqual(html.match(/<strong>/g)?.length, 2 * HOSTILE_TEXTS.length + 2);
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]?.match(/<t[dh]\b/g)?.length);
    deepStrictEqual(rows, [6, ...HOSTILE_TEXTS.map(() => 6), 7, ...HOSTILE_TEXTS.map(() => 7)]);
  },
});

Deno.test("renderEgressReport stops each table at its bound and counts what it left out", () => {
  const many = Array.from({ length: 1005 }, (_, i) => destination({ name: `10.0.${i >> 8}.${i & 255}` }));
  const report = renderEgressReport(summary({ destinations: many, droppedDestinations: 7 }));
  deepStrictEqual(tableAfter(report, "Destinations").length, 1000);
  match(report, /### Destinations \(1,012\)/);
  match(report, /…and 12 more destinations not shown\./);
});
