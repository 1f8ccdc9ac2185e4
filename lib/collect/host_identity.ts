import type { HostIdentity } from "../model/host_identity.ts";
import type { Platform } from "../platform/platform.ts";

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
 * const machine = { os: "linux" as const, arch: "x86_64", may: () => true, hostname: () => "box\n" };
 * deepStrictEqual(readHostIdentity(machine).identity, { hostname: "box", os: "linux", arch: "x86_64" });
 * ```
 */
export function readHostIdentity(
  platform: Pick<Platform, "os" | "arch" | "may" | "hostname">,
): HostIdentityResult {
  const identity: HostIdentity = { hostname: null, os: platform.os, arch: platform.arch };
  if (!platform.may({ name: "sys", kind: "hostname" })) {
    return {
      identity,
      note: "note: records leave out the host name; run with --allow-sys=hostname to add it",
    };
  }
  try {
    const name = platform.hostname().trim();
    identity.hostname = name === "" ? null : name;
    return { identity, note: null };
  } catch (error) {
    return {
      identity,
      note: `note: records leave out the host name: ${error instanceof Error ? error.message : error}`,
    };
  }
}
