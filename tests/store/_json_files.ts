import { join } from "node:path";
import type { JsonStoreFiles } from "../../lib/store/json_store.ts";

/** The JSON store's files in a directory, named as conntrail names them in the data directory. */
export function jsonFilesIn(dir: string): JsonStoreFiles {
  return {
    history: join(dir, "ip_history.json"),
    connections: join(dir, "connection_records.json"),
    abuseInfo: join(dir, "abuseip_info.json"),
    alerts: join(dir, "conntrail_alerts.json"),
    snapshots: join(dir, "conntrail_snapshots.json"),
  };
}
