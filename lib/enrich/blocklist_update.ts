import { isSystemError } from "../model/errors.ts";
import { joinPath as join } from "../platform/file_path.ts";
import { parseBlocklist } from "../parse/blocklist.ts";
import type { Files } from "../platform/platform.ts";
import { userFiles } from "../platform/user_files.ts";
import { listUrl, type PublicList } from "./public_lists.ts";
import { timerDelay } from "../model/timer_delay.ts";
import { boundedText } from "./bounded_body.ts";

/** What is remembered about a downloaded list, beside it as `<name>.json`. */
export interface ListState {
  url: string;
  etag: string | null;
  last_modified: string | null;
  /** When the source was last asked (ms since the epoch). */
  checked_at: number;
  /** When the file last changed. */
  downloaded_at: number | null;
  entries: number;
}

/** How one list's update went. */
export type UpdateOutcome =
  | { kind: "downloaded"; path: string; entries: number }
  | { kind: "unchanged"; path: string; entries: number }
  | { kind: "too-soon"; path: string; nextAt: number }
  | { kind: "failed"; reason: string };

/** Lists are fetched at most this often (Spamhaus's terms ask for it; the others update hourly at most). */
export const MIN_UPDATE_INTERVAL_MS = 60 * 60_000;
const TIMEOUT_MS = 60_000;
const MAX_BYTES = 64 * 2 ** 20;

/** Where and how lists are downloaded. */
export interface UpdateOptions {
  /** The directory the lists go to (`<data dir>/blocklists`). */
  directory: string;
  /** Where they are read and written. */
  files: Files;
  mirror?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

async function readState(files: Files, path: string): Promise<ListState | null> {
  try {
    const state = JSON.parse(await files.readTextFile(path));
    return typeof state?.checked_at === "number" ? state as ListState : null;
  } catch {
    // No state, or a damaged one: the list is fetched as if new.
    return null;
  }
}

/** The file a list is kept in. */
export function listPath(directory: string, list: PublicList): string {
  return join(directory, list.fileName);
}

/**
 * Download one public list into the directory, politely: at most once an
 * hour, with `If-None-Match` / `If-Modified-Since` so that an unchanged list
 * costs a 304. A download must read as a block list before it replaces the
 * old file (written to a temporary file, then renamed), so a broken answer
 * never costs the last good list.
 */
export async function updateList(list: PublicList, options: UpdateOptions): Promise<UpdateOutcome> {
  const now = options.now ?? Date.now;
  const path = listPath(options.directory, list);
  const statePath = join(options.directory, `${list.name}.json`);
  const url = listUrl(list, options.mirror);
  const previous = await readState(options.files, statePath);
  const fresh = previous !== null && previous.url === url;
  if (fresh && now() - previous.checked_at < MIN_UPDATE_INTERVAL_MS) {
    return { kind: "too-soon", path, nextAt: previous.checked_at + MIN_UPDATE_INTERVAL_MS };
  }
  const headers: Record<string, string> = { "User-Agent": "conntrail (blocklist update)" };
  if (fresh && previous.etag !== null) headers["If-None-Match"] = previous.etag;
  if (fresh && previous.last_modified !== null) headers["If-Modified-Since"] = previous.last_modified;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers,
      signal: AbortSignal.timeout(timerDelay(TIMEOUT_MS)),
    });
  } catch (error) {
    const reason = isSystemError(error, "NotCapable")
      ? `network access is not allowed; run with --allow-net=${new URL(url).host}`
      : error instanceof Error
      ? `${url}: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}`
      : String(error);
    return { kind: "failed", reason };
  }
  const checked: ListState = {
    url,
    etag: response.headers.get("ETag") ?? (fresh ? previous.etag : null),
    last_modified: response.headers.get("Last-Modified") ?? (fresh ? previous.last_modified : null),
    checked_at: now(),
    downloaded_at: fresh ? previous.downloaded_at : null,
    entries: fresh ? previous.entries : 0,
  };
  if (response.status === 304 && fresh) {
    await response.body?.cancel();
    await userFiles(options.files).replaceFileAtomically(
      statePath,
      JSON.stringify(checked, null, 2) + "\n",
      options.directory,
    );
    return { kind: "unchanged", path, entries: checked.entries };
  }
  // An answer that is not used still counts as a fetch for the once-an-hour rule; the old validators stay.
  const refused = async (reason: string): Promise<UpdateOutcome> => {
    if (previous !== null) {
      const kept = { ...checked, etag: previous.etag, last_modified: previous.last_modified };
      await userFiles(options.files).replaceFileAtomically(
        statePath,
        JSON.stringify(kept, null, 2) + "\n",
        options.directory,
      );
    }
    return { kind: "failed", reason };
  };
  if (response.status !== 200) {
    await response.body?.cancel();
    return await refused(`${url} answered HTTP ${response.status}`);
  }
  const length = Number(response.headers.get("Content-Length") ?? "0");
  if (length > MAX_BYTES) {
    await response.body?.cancel();
    return await refused(`${url} is ${length} bytes, more than a block list should be`);
  }
  const text = await boundedText(response, MAX_BYTES);
  if (text === null) {
    return await refused(`${url} sent more than ${MAX_BYTES} bytes, more than a block list should be`);
  }
  const parsed = parseBlocklist(text);
  if (parsed.overLimit !== null) {
    return await refused(`${url} holds ${parsed.overLimit}; the old file is kept`);
  }
  if (parsed.entryCount === 0) {
    return await refused(`${url} sent no IP, CIDR, range or domain; the old file is kept`);
  }
  await userFiles(options.files).replaceFileAtomically(path, text, options.directory);
  await userFiles(options.files).replaceFileAtomically(
    statePath,
    JSON.stringify({ ...checked, downloaded_at: now(), entries: parsed.entryCount }, null, 2) + "\n",
    options.directory,
  );
  return { kind: "downloaded", path, entries: parsed.entryCount };
}
