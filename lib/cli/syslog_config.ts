/**
 * `--syslog URL` (repeatable), `--syslog-format` and `--syslog-ca` on the
 * monitor and `serve`: the flags, and the receivers they open.
 *
 * @module
 */
import type { Platform } from "../platform/platform.ts";
import type { DescribeAddress } from "../model/address_info.ts";
import { PermissionError } from "../model/errors.ts";
import type { SyslogFlags } from "./syslog_flags.ts";
import { isOneOf } from "./option_values.ts";
import type { SyslogOutput } from "../monitor/syslog_output.ts";
import { syslogNetHosts, type SyslogTarget } from "../parse/syslog_url.ts";
import { EVENT_FORMATS, type EventFormat } from "../render/event_formats.ts";
import type { RecordContext } from "../render/event_record.ts";
import { userFiles } from "../platform/user_files.ts";

export type { SyslogFlags } from "./syslog_flags.ts";

/** The JSON syslog messages carry: `--syslog-format`, else a JSON `--format`, else ECS. */
export function syslogFormat(flags: Partial<SyslogFlags>, format: string | undefined): EventFormat {
  if (flags.syslogFormat !== undefined) return flags.syslogFormat;
  return isOneOf(EVENT_FORMATS, format) ? format : "ecs";
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
  // The sinks and their transport are imported by the runs that send to syslog: most do not.
  const [{ SyslogSink }, { syslogConnector }, { SyslogOutput }] = await Promise.all([
    import("../store/syslog_sink.ts"),
    import("../store/syslog_transport.ts"),
    import("../monitor/syslog_output.ts"),
  ]);
  const connect = syslogConnector(io.machine.network, caCerts === undefined ? {} : { caCerts });
  const sinks = targets.map((target) => new SyslogSink(target, { note: io.note, connect }));
  return new SyslogOutput(sinks, {
    format: syslogFormat(flags, format),
    describe: io.describe,
    context: io.context,
    procId: io.procId,
  });
}
