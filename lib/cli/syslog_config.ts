/**
 * `--syslog URL` (repeatable), `--syslog-format` and `--syslog-ca` on the
 * monitor and `serve`: the flags, and the receivers they open.
 *
 * @module
 */
import type { Platform } from "../platform/platform.ts";
import { type Command, Option } from "commander";
import type { DescribeAddress } from "../model/address_info.ts";
import { PermissionError } from "../model/errors.ts";
import { UsageError } from "./usage_error.ts";
import type { OptionValues } from "./option_values.ts";
import { SyslogOutput } from "../monitor/syslog_output.ts";
import { parseSyslogUrl, syslogNetHosts, type SyslogTarget } from "../parse/syslog_url.ts";
import { EVENT_FORMATS, type EventFormat, type RecordContext } from "../render/event_record.ts";
import { SYSLOG_QUEUE_LIMIT, SyslogSink } from "../store/syslog_sink.ts";
import { syslogConnector } from "../store/syslog_transport.ts";
import { userFiles } from "../platform/user_files.ts";

/** The syslog flags as commander leaves them. */
export interface SyslogFlags {
  /** `--syslog`, each one read. */
  syslog: SyslogTarget[];
  /** `--syslog-format`; by default the `--format` when that is JSON, else ECS. */
  syslogFormat?: EventFormat;
  /** `--syslog-ca FILE`: certificates to trust for `tls://` receivers. */
  syslogCa?: string;
}

/** The values of {@linkcode addSyslogOptions}' flags. */
export function syslogFlagsOf(values: OptionValues): SyslogFlags {
  const flags: SyslogFlags = { syslog: values.list("syslog", isSyslogTarget, "syslog receivers") };
  const format = values.optionalChoice("syslogFormat", EVENT_FORMATS);
  if (format !== undefined) flags.syslogFormat = format;
  const ca = values.optionalString("syslogCa");
  if (ca !== undefined) flags.syslogCa = ca;
  return flags;
}

function isSyslogTarget(value: unknown): value is SyslogTarget {
  if (typeof value !== "object" || value === null) return false;
  const target = value as Record<string, unknown>;
  return typeof target.transport === "string" && typeof target.host === "string" &&
    typeof target.port === "number" && typeof target.url === "string";
}

function syslogValue(value: string, previous: SyslogTarget[] = []): SyslogTarget[] {
  try {
    return [...previous, parseSyslogUrl(value)];
  } catch (error) {
    throw new UsageError(`--syslog: ${error instanceof Error ? error.message : error}`);
  }
}

/** Add `--syslog`, `--syslog-format` and `--syslog-ca` to a command. */
export function addSyslogOptions(command: Command): Command {
  return command
    .option(
      "--syslog <url>",
      `send every event to a syslog receiver: udp://, tcp:// or tls://HOST:PORT (repeatable; RFC 5424, ` +
        `up to ${SYSLOG_QUEUE_LIMIT.toLocaleString("en")} events kept while it is away)`,
      syslogValue,
    )
    .addOption(
      new Option(
        "--syslog-format <format>",
        "the JSON in syslog messages (default: --format when JSON, else ecs)",
      )
        .choices(EVENT_FORMATS),
    )
    .option("--syslog-ca <file>", "PEM certificates to trust for tls:// receivers");
}

/** Check the syslog flags together: a format or CA without a receiver is a mistake. */
export function checkSyslogFlags(flags: Partial<SyslogFlags>): void {
  const targets = flags.syslog ?? [];
  if (targets.length === 0 && flags.syslogFormat !== undefined) {
    throw new UsageError("--syslog-format needs --syslog URL");
  }
  if (flags.syslogCa !== undefined && !targets.some((t) => t.transport === "tls")) {
    throw new UsageError("--syslog-ca needs a tls:// --syslog receiver");
  }
}

/** The JSON syslog messages carry: `--syslog-format`, else a JSON `--format`, else ECS. */
export function syslogFormat(flags: Partial<SyslogFlags>, format: string | undefined): EventFormat {
  if (flags.syslogFormat !== undefined) return flags.syslogFormat;
  return (EVENT_FORMATS as readonly string[]).includes(format ?? "") ? format as EventFormat : "ecs";
}

function requireNet(target: SyslogTarget, machine: Pick<Platform, "may">): void {
  const hosts = syslogNetHosts(target);
  const granted = hosts === null
    ? machine.may({ name: "net" })
    : hosts.every((host) => machine.may({ name: "net", host }));
  if (!granted) {
    const flag = hosts === null ? "--allow-net" : `--allow-net=${hosts.join(",")}`;
    throw new PermissionError(
      `cannot send to syslog ${target.url}: permission denied; run with ${flag}`,
      flag,
    );
  }
}

/**
 * Check that every `--syslog` receiver may be reached, before anything else
 * is opened: a missing permission ends the run with one sentence naming the flag.
 */
export function requireSyslogPermissions(flags: Partial<SyslogFlags>, machine: Pick<Platform, "may">): void {
  for (const target of flags.syslog ?? []) requireNet(target, machine);
}

/** What opening the receivers needs from the command. */
export interface OpenSyslogIo {
  /** Permissions to check, and the network receivers are reached on. */
  machine: Pick<Platform, "may" | "network" | "files">;
  note: (line: string) => void;
  describe: DescribeAddress;
  context: RecordContext;
  procId: number | null;
}

/**
 * Open a {@linkcode SyslogOutput} for the `--syslog` receivers, or null when
 * there are none. Permissions are checked first, so a missing one ends the run
 * before it starts; receivers themselves are reached in the background.
 */
export async function openSyslog(
  flags: Partial<SyslogFlags>,
  format: string | undefined,
  io: OpenSyslogIo,
): Promise<SyslogOutput | null> {
  const targets = flags.syslog ?? [];
  if (targets.length === 0) return null;
  for (const target of targets) requireNet(target, io.machine);
  const caCerts = flags.syslogCa === undefined
    ? undefined
    : [await userFiles(io.machine.files).readUserFile(flags.syslogCa)];
  const connect = syslogConnector(io.machine.network, caCerts === undefined ? {} : { caCerts });
  const sinks = targets.map((target) => new SyslogSink(target, { note: io.note, connect }));
  return new SyslogOutput(sinks, {
    format: syslogFormat(flags, format),
    describe: io.describe,
    context: io.context,
    procId: io.procId,
  });
}
