import { deepStrictEqual, ok } from "node:assert/strict";
import { communityId, type CommunityIdOptions } from "../../lib/model/community_id.ts";
import { fixture } from "../fixture.ts";

interface BaselineRow {
  proto: number;
  saddr: string;
  daddr: string;
  sport: number | null;
  dport: number | null;
  communityid: string;
}

/** The specification's JSON baselines (community-id-spec/baseline), one per configuration. */
const BASELINES: [string, CommunityIdOptions][] = [
  ["baseline_deflt.json", {}],
  ["baseline_seed1.json", { seed: 1 }],
  ["baseline_nob64.json", { base64: false }],
];

for (const [file, options] of BASELINES) {
  Deno.test(`communityId() matches every TCP, UDP, SCTP and port-less flow of the spec's ${file}`, () => {
    const rows = JSON.parse(fixture(`community-id/${file}`)) as BaselineRow[];
    // ICMP rows carry type/code as ports with their own ordering rules; conntrail never hashes ICMP.
    const hashable = rows.filter((row) => row.proto !== 1 && row.proto !== 58);
    deepStrictEqual(hashable.length, 10);
    for (const row of hashable) {
      const id = communityId({
        protocol: row.proto,
        sourceIp: row.saddr,
        destinationIp: row.daddr,
        sourcePort: row.sport,
        destinationPort: row.dport,
      }, options);
      deepStrictEqual(
        id,
        row.communityid,
        `${row.proto} ${row.saddr}:${row.sport} → ${row.daddr}:${row.dport}`,
      );
    }
  });
}

/** The specification's README tables (default settings, seed 1, no base64), ICMP rows left out. */
const TABLE: [number, string, string, number | null, number | null, string, string, string][] = [
  [
    6,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:wCb3OG7yAFWelaUydu0D+125CLM=",
    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
    "1:c026f7386ef200559e95a53276ed03fb5db908b3",
  ],
  [
    17,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
    "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
    "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8",
  ],
  [
    132,
    "1.2.3.4",
    "5.6.7.8",
    1122,
    3344,
    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
    "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
    "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f",
  ],
  [
    46,
    "1.2.3.4",
    "5.6.7.8",
    null,
    null,
    "1:ikv3kmf89luf73WPz1jOs49S768=",
    "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
    "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf",
  ],
  [
    46,
    "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
    "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
    null,
    null,
    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=",
    "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
    "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed",
  ],
];

Deno.test("communityId() gives the spec's table values both ways round, for seed 0, seed 1 and hex", () => {
  for (const [protocol, a, b, aPort, bPort, plain, seeded, hex] of TABLE) {
    const out = { protocol, sourceIp: a, destinationIp: b, sourcePort: aPort, destinationPort: bPort };
    const back = { protocol, sourceIp: b, destinationIp: a, sourcePort: bPort, destinationPort: aPort };
    for (const flow of [out, back]) {
      deepStrictEqual(communityId(flow), plain);
      deepStrictEqual(communityId(flow, { seed: 1 }), seeded);
      deepStrictEqual(communityId(flow, { base64: false }), hex);
    }
  }
});

Deno.test("communityId() orders by port when both ends share an address (loopback)", () => {
  const a = {
    protocol: 6,
    sourceIp: "127.0.0.1",
    destinationIp: "127.0.0.1",
    sourcePort: 50296,
    destinationPort: 33999,
  };
  const b = { ...a, sourcePort: 33999, destinationPort: 50296 };
  // Computed by tshark 4.0.17 (--enable-protocol communityid) from a capture of that connection.
  deepStrictEqual(communityId(a), "1:p8K7LNzQIgZESqyGB9L6sf0XxSw=");
  deepStrictEqual(communityId(b), communityId(a));
});

Deno.test("communityId() returns null for mixed families, missing ports, ICMP and non-addresses", () => {
  const tcp = {
    protocol: 6,
    sourceIp: "10.0.0.1",
    destinationIp: "10.0.0.2",
    sourcePort: 1,
    destinationPort: 2,
  };
  deepStrictEqual(communityId({ ...tcp, destinationIp: "::1" }), null);
  deepStrictEqual(communityId({ ...tcp, destinationPort: null }), null);
  deepStrictEqual(communityId({ ...tcp, protocol: 1 }), null);
  deepStrictEqual(communityId({ ...tcp, sourceIp: "not-an-ip" }), null);
  ok(communityId(tcp)?.startsWith("1:"));
});
