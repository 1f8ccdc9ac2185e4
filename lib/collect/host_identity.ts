import type { HostIdentity } from "../model/host_identity.ts";

/** What {@linkcode readHostIdentity} found, and a note when the name was left out. */
export interface HostIdentityResult {
  identity: HostIdentity;
  note: string | null;
}

/**
 * This machine's name, OS and architecture. The name needs
 * `--allow-sys=hostname`; without it the records leave it out and the note
 * says which flag adds it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { readHostIdentity } from "./host_identity.ts";
 * deepStrictEqual(readHostIdentity().identity.os, Deno.build.os);
 * ```
 */
export function readHostIdentity(): HostIdentityResult {
  const identity: HostIdentity = { hostname: null, os: Deno.build.os, arch: Deno.build.arch };
  if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
    return {
      identity,
      note: "note: records leave out the host name; run with --allow-sys=hostname to add it",
    };
  }
  try {
    const name = Deno.hostname().trim();
    identity.hostname = name === "" ? null : name;
    return { identity, note: null };
  } catch (error) {
    return {
      identity,
      note: `note: records leave out the host name: ${error instanceof Error ? error.message : error}`,
    };
  }
}
