import { deepStrictEqual } from "node:assert/strict";
import { openGeo } from "../../lib/cli/geo_config.ts";
import { embeddedGeoAttribution } from "../../lib/enrich/embedded_geo.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

const flags = { lookupCountry: true, lookupAsn: true };
const peers = (...ips: (string | null)[]) => ips.map((ip) => ({ remote_ip: ip }));

Deno.test("openGeo() lazy loads the embedded data at the first public address, not for local ones", async () => {
  const geo = await openGeo(flags, { note: () => {}, lazy: true, files: platform.files });
  deepStrictEqual(geo.attribution, embeddedGeoAttribution());
  await geo.prepare(peers("127.0.0.1", null, "127.0.0.1", "10.1.2.3", "fe80::1", "198.51.100.7"));
  // Not loaded: a public address has no answer yet.
  deepStrictEqual(geo.lookup?.describe("8.8.8.8"), { country: null, asn: null, as_org: null });
  await geo.prepare(peers("127.0.0.1", "127.0.0.1", "8.8.8.8"));
  deepStrictEqual(geo.lookup?.describe("8.8.8.8"), { country: "US", asn: 15169, as_org: "Google LLC" });
  deepStrictEqual(geo.lookup?.describe("127.0.0.1"), { country: null, asn: null, as_org: null });
});

Deno.test("openGeo() without lazy answers at once, and prepare() has nothing to do", async () => {
  const geo = await openGeo(flags, { note: () => {}, files: platform.files });
  deepStrictEqual(geo.lookup?.describe("8.8.8.8").asn, 15169);
  await geo.prepare(peers("8.8.8.8"));
  deepStrictEqual(geo.attribution, embeddedGeoAttribution());
});
