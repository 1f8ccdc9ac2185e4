/**
 * The block-list files a run watches: read at the start, re-read whenever one
 * changes on disk (no restart), domains resolved and resolved again on an
 * interval. This is the one place that reads list files.
 *
 * @module
 */
import { isSpecialRange } from "../model/address_scope.ts";
import { canonicalIp } from "../model/ip_address.ts";
import { type Blocklist, parseBlocklist } from "../parse/blocklist.ts";
import type { Files, Network } from "../platform/platform.ts";
import { userFiles } from "../platform/user_files.ts";
import { BlocklistIndex } from "./blocklist_index.ts";
import { isSystemError, UnusableFileError } from "../model/errors.ts";
import type { DnsServer } from "./reverse_dns.ts";
import { thousands } from "../model/thousands.ts";

/** A list to watch; an optional one (the default `ips.txt`) may be missing. */
export interface BlocklistSource {
  path: string;
  optional: boolean;
}

/** How the files are read and domains resolved; tests pass their own. */
export interface BlocklistFilesIo {
  readTextFile: (path: string) => Promise<string>;
  /** A stamp that changes when the file does (mtime and size), or null when it is missing. */
  stamp: (path: string) => Promise<string | null>;
  /** A domain's IPv4 and IPv6 addresses; [] when it has none. */
  resolve: (name: string) => Promise<string[]>;
}

/** Options of {@linkcode BlocklistFiles}. */
export interface BlocklistFilesOptions {
  /** The files and resolver: {@linkcode blocklistIo} on the platform, or a test's. */
  io: BlocklistFilesIo;
  /** One line for the user: skipped lines, reloads, edits that were refused. */
  onNote?: (line: string) => void;
  now?: () => number;
  /** Domains are resolved again after this long (Deno's resolver does not report TTLs). */
  domainRefreshMs?: number;
}

async function stampOf(files: Files, path: string): Promise<string | null> {
  try {
    const info = await files.stat(path);
    return `${info.mtime?.getTime() ?? 0}:${info.size}`;
  } catch (error) {
    if (isSystemError(error, "NotFound")) return null;
    throw error;
  }
}

/** Resolve a domain's A and AAAA records with the network's resolver (or one server). */
export function addressResolver(
  network: Pick<Network, "resolveDns">,
  server?: DnsServer,
): (name: string) => Promise<string[]> {
  const options = server === undefined ? {} : { nameServer: server };
  const query = async (name: string, type: "A" | "AAAA") => {
    try {
      return await network.resolveDns(name, type, options);
    } catch (error) {
      if (isSystemError(error, "NotFound")) return [];
      throw error;
    }
  };
  return async (name) => [...await query(name, "A"), ...await query(name, "AAAA")];
}

/**
 * The largest list file read. The shipped V8 flags cap the heap at 256 MB;
 * a list is held as text while it is read, and its entries after, and a
 * 100 MB list did not fit. The biggest public lists are a few megabytes.
 */
export const MAX_LIST_BYTES = 64 * 1024 * 1024;

/** List domains resolved to addresses; a hosts file of 100,000 domains would flood the resolver. */
export const MAX_RESOLVED_DOMAINS = 1_000;
/** Domains asked about at once. */
const DNS_AT_ONCE = 16;

/** Run `work` over the items, at most `width` at a time. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** Junk lines reported one by one per file; the rest are counted in one line. */
const JUNK_LINES_SAID = 10;

/** The machine's files and resolver. */
export function blocklistIo(
  machine: { files: Files; network: Pick<Network, "resolveDns"> },
  server?: DnsServer,
): BlocklistFilesIo {
  const user = userFiles(machine.files);
  return {
    readTextFile: (path) => user.readUserFile(path, { maxBytes: MAX_LIST_BYTES, what: "a list file" }),
    stamp: (path) => stampOf(machine.files, path),
    resolve: addressResolver(machine.network, server),
  };
}

interface WatchedFile {
  source: BlocklistSource;
  stamp: string | null;
  /** The last version that read well; kept when an edit breaks the file. */
  list: Blocklist | null;
  reportedJunk: Set<string>;
}

function canonicalAddress(text: string): string | null {
  return canonicalIp(text);
}

/** A quoted excerpt of an untrusted line, short enough for one message. */
function excerpt(line: string): string {
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/**
 * Watch block-list files: {@linkcode load} once, then {@linkcode refresh}
 * on a timer; {@linkcode index} is always the last good state of every list.
 * A junk line is reported once (as `file:line`) and skipped; an edit that
 * leaves no readable entry, or a file that disappears or cannot be read,
 * keeps the last good version and says why.
 */
export class BlocklistFiles {
  readonly #files: WatchedFile[];
  readonly #io: BlocklistFilesIo;
  readonly #onNote: (line: string) => void;
  readonly #now: () => number;
  readonly #domainRefreshMs: number;
  /** Domain → its addresses and when they were resolved. */
  readonly #domains = new Map<string, { addresses: string[]; at: number }>();
  #index = new BlocklistIndex([]);
  #refreshing: Promise<boolean> | null = null;
  #resolveFailed = false;
  #saidTooManyDomains = false;

  constructor(sources: readonly BlocklistSource[], options: BlocklistFilesOptions) {
    this.#files = sources.map((source) => ({ source, stamp: null, list: null, reportedJunk: new Set() }));
    this.#io = options.io;
    this.#onNote = options.onNote ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#domainRefreshMs = options.domainRefreshMs ?? 5 * 60_000;
  }

  /** Every list as last read well. */
  get index(): BlocklistIndex {
    return this.#index;
  }

  /**
   * The lists read whose every entry is a private or special address (no
   * domains): without `--include-private` they can never match.
   */
  get specialOnly(): { path: string; entries: number }[] {
    return this.#files.filter((f) => {
      const list = f.list;
      if (list === null || list.entryCount === 0 || list.domains.length > 0) return false;
      const { starts, ends } = list.v4;
      for (let i = 0; i < starts.length; i++) {
        if (!isSpecialRange(starts[i] as number, ends[i] as number)) return false;
      }
      return list.v6.every((entry) => isSpecialRange(entry.first, entry.last));
    }).map((f) => ({ path: f.source.path, entries: f.list?.entryCount ?? 0 }));
  }

  /** The lists that were read, for the start-up line: `ips.txt (12 entries)`. */
  get loaded(): { path: string; entries: number }[] {
    return this.#files.filter((f) => f.list !== null).map((f) => ({
      path: f.source.path,
      entries: f.list?.entryCount ?? 0,
    }));
  }

  /**
   * Read every list and resolve their domains. A list named on the command
   * line that cannot be read, or holds no entry at all, ends the run with
   * one sentence; a missing optional list is skipped quietly.
   */
  async load(): Promise<void> {
    for (const file of this.#files) {
      file.stamp = await this.#io.stamp(file.source.path).catch(() => null);
      if (file.stamp === null && file.source.optional) continue;
      const text = await this.#io.readTextFile(file.source.path);
      const list = this.#parse(file, text);
      if (list.overLimit !== null) {
        throw new UnusableFileError(
          `"${file.source.path}" holds ${list.overLimit}, the most one list may hold`,
        );
      }
      if (list.entryCount === 0 && list.skippedCount > 0) {
        throw new UnusableFileError(
          `"${file.source.path}" holds no IP, CIDR, range or domain; is it a block list?`,
        );
      }
      file.list = list;
    }
    await this.#resolveDomains();
    this.#rebuild();
  }

  /**
   * Re-read the lists that changed on disk and re-resolve domains that are
   * due; true when the index changed. Never runs twice at once.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = null));
    return this.#refreshing;
  }

  async #refresh(): Promise<boolean> {
    let changed = false;
    for (const file of this.#files) {
      const path = file.source.path;
      let stamp: string | null;
      try {
        stamp = await this.#io.stamp(path);
      } catch (error) {
        stamp = `unreadable: ${error instanceof Error ? error.message : error}`;
      }
      if (stamp === file.stamp) continue;
      file.stamp = stamp;
      if (stamp === null) {
        if (file.list !== null) this.#keep(file, "the file is gone");
        continue;
      }
      let text: string;
      try {
        text = await this.#io.readTextFile(path);
      } catch (error) {
        this.#keep(file, error instanceof Error ? error.message : String(error));
        continue;
      }
      const list = this.#parse(file, text);
      if (list.overLimit !== null) {
        this.#keep(file, `it holds ${list.overLimit}, the most one list may hold`);
        continue;
      }
      if (list.entryCount === 0 && list.skippedCount > 0) {
        this.#keep(file, "no line in it is an IP, CIDR, range or domain");
        continue;
      }
      file.list = list;
      changed = true;
      this.#onNote(`note: ${path} changed; re-read: ${list.entryCount} entries`);
    }
    changed = (await this.#resolveDomains()) || changed;
    if (changed) this.#rebuild();
    return changed;
  }

  #keep(file: WatchedFile, why: string): void {
    const kept = file.list === null
      ? "nothing from it is used"
      : `keeping the last good version (${file.list.entryCount} entries)`;
    this.#onNote(`warning: cannot use ${file.source.path} as edited: ${why}; ${kept}`);
  }

  #parse(file: WatchedFile, text: string): Blocklist {
    const list = parseBlocklist(text);
    let said = 0;
    for (const skipped of list.skipped.slice(0, JUNK_LINES_SAID)) {
      const [number = "", ...rest] = skipped.line.split(": ");
      const key = `${number}:${rest.join(": ")}`;
      if (file.reportedJunk.has(key)) continue;
      file.reportedJunk.add(key);
      said++;
      this.#onNote(
        `note: ${file.source.path}:${number} skipped ("${excerpt(rest.join(": "))}"): ${skipped.reason}`,
      );
    }
    const more = list.skippedCount - Math.min(list.skipped.length, JUNK_LINES_SAID);
    if (said > 0 && more > 0) {
      this.#onNote(
        `note: ${file.source.path}: ${thousands(more)} more lines skipped (not an IP, CIDR, range or domain)`,
      );
    }
    return list;
  }

  /** Resolve domains never resolved or due again; true when any address changed. */
  async #resolveDomains(): Promise<boolean> {
    const all = new Set<string>();
    for (const file of this.#files) {
      for (const { name } of file.list?.domains ?? []) all.add(name);
      for (const { host } of file.list?.ported ?? []) if (host.family === "domain") all.add(host.name);
    }
    const names = [...all].slice(0, MAX_RESOLVED_DOMAINS);
    if (all.size > names.length && !this.#saidTooManyDomains) {
      this.#saidTooManyDomains = true;
      this.#onNote(
        `note: the block lists hold ${thousands(all.size)} domains; the first ` +
          `${thousands(MAX_RESOLVED_DOMAINS)} are resolved to addresses, the rest match by name only`,
      );
    }
    const now = this.#now();
    let changed = false;
    await inBatches(names, DNS_AT_ONCE, async (name) => {
      const known = this.#domains.get(name);
      if (known !== undefined && now - known.at < this.#domainRefreshMs) return;
      try {
        const addresses = (await this.#io.resolve(name)).map(canonicalAddress).filter((a) => a !== null)
          .sort();
        if (known === undefined || known.addresses.join() !== addresses.join()) changed = true;
        this.#domains.set(name, { addresses, at: now });
      } catch (error) {
        // Not asked again before the interval, so that a failing resolver is not hammered every poll.
        this.#domains.set(name, { addresses: known?.addresses ?? [], at: now });
        if (!this.#resolveFailed) {
          this.#resolveFailed = true;
          const why = isSystemError(error, "NotCapable")
            ? "DNS is not allowed; run with --allow-net"
            : error instanceof Error
            ? error.message
            : String(error);
          this.#onNote(
            `note: domains in block lists are not resolved (${why}); their IPs and CIDRs still count`,
          );
        }
      }
    });
    return changed;
  }

  #rebuild(): void {
    this.#index = new BlocklistIndex(
      this.#files.filter((f) => f.list !== null).map((f) => {
        const list = f.list as Blocklist;
        const resolved = new Map<string, string>();
        for (const { name } of list.domains) {
          for (const address of this.#domains.get(name)?.addresses ?? []) resolved.set(address, name);
        }
        const portedAddresses = new Map<string, readonly string[]>();
        for (const { host } of list.ported) {
          if (host.family === "domain") {
            portedAddresses.set(host.name, this.#domains.get(host.name)?.addresses ?? []);
          }
        }
        return { name: f.source.path, list, resolved, portedAddresses };
      }),
    );
  }
}
