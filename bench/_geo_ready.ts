/**
 * Prints, as JSON, how long the embedded GeoIP database takes to be ready
 * (import + decode) in a fresh process, and that it then answers. Run by
 * geo_bench.ts once per sample so that nothing is warm.
 */
const t0 = performance.now();
const { loadEmbeddedGeo } = await import("../lib/enrich/embedded_geo.ts");
const t1 = performance.now();
const { source } = await loadEmbeddedGeo();
const t2 = performance.now();
const answer = source.lookup("8.8.8.8");
console.log(JSON.stringify({ codeMs: t1 - t0, readyMs: t2 - t1, asn: answer.asn }));
