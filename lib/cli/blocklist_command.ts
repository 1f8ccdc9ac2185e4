import type { Files, OperatingSystem } from "../platform/platform.ts";
import { type CommandIo, warnLine } from "./command_io.ts";
import { joinPath as join } from "../platform/file_path.ts";
import { listPath, MIN_UPDATE_INTERVAL_MS, updateList } from "../enrich/blocklist_update.ts";
import { DEFAULT_PUBLIC_LISTS, PUBLIC_LISTS, publicList } from "../enrich/public_lists.ts";
import { UsageError } from "./usage_error.ts";
import { clockTime } from "../model/timestamp.ts";
import { DATA_DIR_ENV, dataDirectory } from "../store/data_dir.ts";
import { userFiles } from "../platform/user_files.ts";
import { thousands } from "../model/thousands.ts";

/** Options of `conntrail blocklist update` and `blocklist list`. */
export interface BlocklistOptions {
  names: string[];
  dataDir?: string;
  mirror?: string;
}

/** `<data dir>/blocklists`, from `--data-dir` or the environment. */
export function blocklistDirectory(
  options: BlocklistOptions,
  io: { env: ReadonlyMap<string, string>; os: OperatingSystem },
): string {
  const base = options.dataDir ?? dataDirectory(io.env, io.os);
  if (base === null) {
    throw new UsageError(
      "cannot find the data directory: HOME (or XDG_DATA_HOME) is unset or not readable; " +
        "pass --data-dir DIR or run with --allow-env=XDG_DATA_HOME,HOME",
    );
  }
  return join(base, "blocklists");
}

function downloadedBefore(files: Files, directory: string): string[] {
  return PUBLIC_LISTS.filter((list) => {
    try {
      return files.statSync(join(directory, `${list.name}.json`)).isFile;
    } catch {
      return false;
    }
  }).map((list) => list.name);
}

/**
 * `conntrail blocklist update [NAME…]`: download the named public lists (by
 * default those downloaded before, or FireHOL level 1 and Spamhaus DROP and
 * DROPv6) into the data directory, and print the paths to pass with
 * `--blocklist`. Exit 1 when a list could not be updated.
 */
export async function runBlocklistUpdate(options: BlocklistOptions, io: CommandIo): Promise<number> {
  const warn = warnLine(io);
  for (const name of options.names) {
    if (publicList(name) === undefined) {
      throw new UsageError(
        `unknown list "${name}"; known lists: ${PUBLIC_LISTS.map((l) => l.name).join(", ")}`,
      );
    }
  }
  const directory = blocklistDirectory(options, { env: io.readEnv(DATA_DIR_ENV).values, os: io.os });
  await userFiles(io.files).makeUserDirectory(directory);
  const previous = downloadedBefore(io.files, directory);
  const names = options.names.length > 0
    ? options.names
    : previous.length > 0
    ? previous
    : [...DEFAULT_PUBLIC_LISTS];
  const ready: string[] = [];
  let failed = 0;
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const list = publicList(name);
    if (list === undefined) continue;
    const outcome = await updateList(list, {
      directory,
      files: io.files,
      ...(options.mirror === undefined ? {} : { mirror: options.mirror }),
      fetch: io.fetch ?? io.network.fetch,
      now: () => io.now().getTime(),
    });
    const label = name.padEnd(width);
    switch (outcome.kind) {
      case "downloaded":
        ready.push(outcome.path);
        await io.stdout(
          `${label}  downloaded, ${thousands(outcome.entries)} entries  ${outcome.path}\n`,
        );
        break;
      case "unchanged":
        ready.push(outcome.path);
        await io.stdout(`${label}  not changed since the last download  ${outcome.path}\n`);
        break;
      case "too-soon":
        ready.push(outcome.path);
        await io.stdout(
          `${label}  skipped: fetched less than an hour ago; next at ${
            clockTime(new Date(outcome.nextAt))
          }  ${outcome.path}\n`,
        );
        break;
      case "failed":
        failed++;
        warn(`error: ${name} not updated: ${outcome.reason}`);
        break;
    }
  }
  if (ready.length > 0) {
    await io.stdout(`\nuse them with: conntrail ${ready.map((path) => `--blocklist ${path}`).join(" ")}\n`);
  }
  return failed > 0 ? 1 : 0;
}

/** `conntrail blocklist list`: every known list, and which are downloaded. */
export async function runBlocklistList(options: BlocklistOptions, io: CommandIo): Promise<number> {
  const directory = blocklistDirectory(options, { env: io.readEnv(DATA_DIR_ENV).values, os: io.os });
  const now = io.now().getTime();
  const downloaded = new Set(downloadedBefore(io.files, directory));
  const width = Math.max(...PUBLIC_LISTS.map((l) => l.name.length));
  for (const list of PUBLIC_LISTS) {
    let status = "not downloaded";
    if (downloaded.has(list.name)) {
      try {
        const state = JSON.parse(io.files.readTextFileSync(join(directory, `${list.name}.json`)));
        const hours = Math.floor((now - Number(state.checked_at)) / 3_600_000);
        status = `${thousands(Number(state.entries))} entries, checked ${hours} h ago: ${
          listPath(directory, list)
        }`;
      } catch {
        status = "downloaded (state unreadable)";
      }
    }
    await io.stdout(`${list.name.padEnd(width)}  ${list.description}\n${" ".repeat(width)}  ${status}\n`);
  }
  await io.stdout(`\nlists are fetched at most once every ${MIN_UPDATE_INTERVAL_MS / 60_000} minutes\n`);
  return 0;
}
