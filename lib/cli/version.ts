import denoJson from "../../deno.json" with { type: "json" };
import geoSources from "../../data/geo-sources.json" with { type: "json" };

/** conntrail's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** What `--version` prints: conntrail, Deno and the attribution of embedded data. */
export function versionText(): string {
  return [
    `conntrail ${VERSION}`,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    `embedded data (built ${geoSources.built}, deno task geo:build):`,
    ...geoSources.attribution.map((line) => `  ${line}`),
  ].join("\n") + "\n";
}

/** Whether the command line asks only for the version (`--version` or `-V` alone), answered before any parsing. */
export function isVersionRequest(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}
