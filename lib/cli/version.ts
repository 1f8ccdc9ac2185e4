import denoJson from "../../deno.json" with { type: "json" };

/** conntrail's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** What `--version` prints: conntrail, Deno and the attribution of embedded data. */
export function versionText(): string {
  return [
    `conntrail ${VERSION}`,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    "embedded data: none yet (GeoIP and ASN data arrive with their attribution)",
  ].join("\n") + "\n";
}
