import denoJson from "../../deno.json" with { type: "json" };
import geoSources from "../../data/geo-sources.json" with { type: "json" };

/** conntrail's version, from deno.json. */
export const VERSION: string = denoJson.version;

/** The runtime's versions (the platform's `runtime`). */
export interface RuntimeVersions {
  deno: string;
  v8: string;
  typescript: string;
}

/**
 * What `--version` prints: conntrail, Deno and the attribution of embedded data.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { versionText } from "./version.ts";
 * match(versionText({ deno: "2.9.6", v8: "15.0", typescript: "6.0.3" }), /^conntrail \d+\.\d+\.\d+\ndeno 2\.9\.6 \(v8 15\.0, typescript 6\.0\.3\)\n/);
 * ```
 */
export function versionText(runtime: RuntimeVersions): string {
  return [
    `conntrail ${VERSION}`,
    `deno ${runtime.deno} (v8 ${runtime.v8}, typescript ${runtime.typescript})`,
    `embedded data (built ${geoSources.built}, deno task geo:build):`,
    ...geoSources.attribution.map((line) => `  ${line}`),
  ].join("\n") + "\n";
}

/**
 * Whether the command line asks only for the version (`--version` or `-V` alone), answered before any parsing.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isVersionRequest } from "./version.ts";
 * deepStrictEqual([isVersionRequest(["-V"]), isVersionRequest(["snapshot", "--version"])], [true, false]);
 * ```
 */
export function isVersionRequest(args: readonly string[]): boolean {
  return args.length === 1 && (args[0] === "--version" || args[0] === "-V");
}
