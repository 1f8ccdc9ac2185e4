import { deepStrictEqual } from "node:assert/strict";
import { type GeoCsvSink, parseGeoCsv } from "../../lib/parse/geo_csv.ts";

type Row = [string, number, number[], number[], string | number, string?];

function collect(text: string): { rows: Row[]; result: ReturnType<typeof parseGeoCsv> } {
  const rows: Row[] = [];
  const words = (family: 4 | 6, address: Uint32Array) => [...address.subarray(0, family === 4 ? 1 : 4)];
  const sink: GeoCsvSink = {
    country: (family, start, end, code) =>
      rows.push(["country", family, words(family, start), words(family, end), code]),
    asn: (family, start, end, asn, org) =>
      rows.push(["asn", family, words(family, start), words(family, end), asn, org]),
  };
  const result = parseGeoCsv(text, sink);
  return { rows, result };
}

Deno.test("parseGeoCsv() reads quoted organisations with commas and doubled quotes", () => {
  const { rows, result } = collect(
    '1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n' +
      "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n" +
      '5.0.0.0,5.0.0.255,64500,"The ""Quoted"" Network, Ltd"\n' +
      '6.0.0.0,6.0.0.255,64501,""\n',
  );
  deepStrictEqual(rows.map((r) => [r[4], r[5]]), [
    [13335, "Cloudflare, Inc."],
    [38803, "Gtelecom Pty Ltd"],
    [64500, 'The "Quoted" Network, Ltd'],
    [64501, ""],
  ]);
  deepStrictEqual([result.rows, result.skipped, result.truncated], [4, 0, false]);
});

Deno.test("parseGeoCsv() reads both families in one file, non-canonical IPv6 text, CRLF, a BOM and a header", () => {
  const { rows, result } = collect(
    "\ufeffip_start,ip_end,country\r\n" +
      "1.0.0.0,1.0.0.255,AU\r\n" +
      "2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,US\r\n" +
      "2001:0DB8:0000::,2001:db8:0:ffff:ffff:ffff:ffff:ffff,NL\r\n" +
      "::ffff:8.8.8.0,::ffff:8.8.8.255,US\r\n",
  );
  deepStrictEqual(rows, [
    ["country", 4, [0x01000000], [0x010000ff], "AU"],
    ["country", 6, [0x20010000, 0, 0, 0], [0x20010000, 0xffffffff, 0xffffffff, 0xffffffff], "US"],
    ["country", 6, [0x20010db8, 0, 0, 0], [0x20010db8, 0xffff, 0xffffffff, 0xffffffff], "NL"],
    ["country", 4, [0x08080800], [0x080808ff], "US"],
  ]);
  deepStrictEqual(result.skipped, 0);
});

Deno.test("parseGeoCsv() reads the country of DB-IP's city lite layout", () => {
  const { rows } = collect('1.0.0.0,1.0.0.255,OC,AU,Queensland,"South Brisbane",-27.4748,153.017\n');
  deepStrictEqual(rows, [["country", 4, [0x01000000], [0x010000ff], "AU"]]);
});

Deno.test("parseGeoCsv() skips and counts bad lines, says why, and knows a file cut mid-line", () => {
  const { rows, result } = collect(
    "1.0.0.0,1.0.0.255,AU\n" +
      "not,an,address\n" +
      "1.0.1.0,2001:db8::,AU\n" +
      "1.0.2.0,1.0.2.255,Australia\n" +
      "1.0.3.0,1.0.3.255,AS13335,Cloudflare\n" +
      '1.0.4.0,1.0.4.255,13335,"Cloudflare\n' +
      "1.0.5.0,1.0.5.255,AU\n" +
      "1.0.6.0,1.0.6.2",
  );
  deepStrictEqual(rows.length, 2);
  deepStrictEqual(result.skipped, 6);
  deepStrictEqual(result.examples, [
    { line: 2, reason: "the start is not an IP address" },
    { line: 3, reason: "the end is not an address of the start's family" },
    { line: 4, reason: "the country is not a two-letter code" },
    { line: 5, reason: "the AS number is not a number" },
    { line: 6, reason: "unclosed quote" },
  ]);
  deepStrictEqual(result.truncated, true);
  deepStrictEqual(collect("1.0.0.0,1.0.0.255,AU").result.truncated, false);
});
