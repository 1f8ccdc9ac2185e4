import { REPUTATION_ENV } from "./reputation_config.ts";

/** The environment variables the monitor reads, when Deno allows it. */
export const MONITOR_ENV = ["NO_COLOR", "GITHUB_ACTIONS", ...REPUTATION_ENV] as const;

/**
 * Read environment variables without ever prompting: a variable Deno does not
 * allow reads as unset and is listed in `denied`, so the caller can say which
 * flag would turn it on.
 */
export function readPermittedEnv(
  names: readonly string[],
): { values: Map<string, string>; denied: string[] } {
  const values = new Map<string, string>();
  const denied: string[] = [];
  for (const name of names) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      denied.push(name);
      continue;
    }
    const value = Deno.env.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return { values, denied };
}
