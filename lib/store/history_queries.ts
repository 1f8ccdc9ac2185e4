/**
 * The questions the history commands and the web page ask of a store: the
 * addresses a query matches (with one address's connections and alerts), and
 * what changed between two saved snapshots.
 *
 * @module
 */
import { canonicalIp } from "../model/ip_address.ts";
import { InputError } from "../model/errors.ts";
import { isLocalAddress } from "../model/address_scope.ts";
import { diffSnapshots, type SnapshotDiff } from "../model/snapshot_diff.ts";
import type {
  AddressQuery,
  AddressRecord,
  AlertRecord,
  ConnectionRecord,
  HistoryStore,
  SnapshotInfo,
} from "./history_store.ts";

/** One address as a history report shows it: with its connections and alerts when one address was asked for. */
export interface AddressHistory {
  address: AddressRecord;
  connections?: ConnectionRecord[];
  alerts?: AlertRecord[];
}

/** Connections shown for one address, most recent first. */
const CONNECTIONS_SHOWN = 1000;

/**
 * An address as history stores it: the collectors' spelling (IPv6 compressed
 * in lower case, IPv4-mapped IPv6 as IPv4).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { historyAddress } from "./history_queries.ts";
 * deepStrictEqual(historyAddress("2001:DB8:0::7"), "2001:db8::7");
 * deepStrictEqual(historyAddress("::ffff:8.8.8.8"), "8.8.8.8");
 * ```
 */
export function historyAddress(text: string): string {
  const canonical = canonicalIp(text);
  if (canonical === null) throw new InputError(`"${text}" is not an IP address`);
  return canonical;
}

/**
 * The addresses a query matches, with each one's connections and alerts when
 * the query names one address: what `conntrail history` and the web page's
 * history view show.
 */
export async function findHistory(
  store: HistoryStore,
  query: AddressQuery,
): Promise<{ entries: AddressHistory[]; total: number }> {
  const { rows, total } = await store.addresses(query);
  const entries: AddressHistory[] = [];
  for (const stored of rows) {
    // A special-purpose address has no country or AS, even if an older conntrail stored one.
    const address = isLocalAddress(stored.ip)
      ? { ...stored, country: null, asn: null, as_org: null }
      : stored;
    entries.push(
      query.ip === undefined ? { address } : {
        address,
        connections: await store.connections(address.ip, CONNECTIONS_SHOWN),
        alerts: await store.alerts({ ip: address.ip, limit: CONNECTIONS_SHOWN }),
      },
    );
  }
  return { entries, total };
}

/**
 * Two saved snapshots and what changed between them: with no ids the last
 * two, with one that one and the latest. A missing id, or fewer than two
 * snapshots, is a usage error.
 */
export async function loadDiff(
  store: HistoryStore,
  saved: readonly SnapshotInfo[],
  ids: { from?: number; to?: number },
): Promise<{ diff: SnapshotDiff; from: SnapshotInfo; to: SnapshotInfo }> {
  const pick = (id: number | undefined, fallback: number) => {
    const info = id === undefined ? saved.at(fallback) : saved.find((s) => s.id === id);
    if (info === undefined && id !== undefined) {
      throw new InputError(`there is no saved snapshot ${id}; \`conntrail diff --list\` shows them`);
    }
    return info;
  };
  const from = pick(ids.from, -2);
  const to = pick(ids.to, -1);
  if (from === undefined || to === undefined) {
    throw new InputError(
      `${saved.length} saved snapshot${
        saved.length === 1 ? "" : "s"
      }; diff needs two (run \`conntrail snapshot --save\`)`,
    );
  }
  const diff = diffSnapshots(await store.snapshot(from.id) ?? [], await store.snapshot(to.id) ?? []);
  return { diff, from, to };
}
