import { readHostIdentity } from "../collect/host_identity.ts";
import type { Platform } from "../platform/platform.ts";
import type { RecordContext } from "../render/event_record.ts";
import { VERSION } from "./version.ts";

/**
 * The host and product ECS, OCSF and syslog records name: this machine (its
 * name needs `--allow-sys=hostname`; without it the note says so) and
 * conntrail's version.
 */
export function openRecordContext(
  machine: Pick<Platform, "os" | "arch" | "may" | "hostname">,
  note: (line: string) => void,
): RecordContext {
  const host = readHostIdentity(machine);
  if (host.note !== null) note(host.note);
  return { host: host.identity, product: { name: "conntrail", version: VERSION } };
}
