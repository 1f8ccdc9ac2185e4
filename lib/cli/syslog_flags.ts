/**
 * `--syslog URL` (repeatable), `--syslog-format` and `--syslog-ca` of the
 * monitor and `serve`: the flags and their values. Opening the receivers is
 * syslog_config.ts's; parsing a command line loads only this.
 *
 * @module
 */
import type { OptionSpec } from "./command_spec.ts";
import { UsageError } from "./usage_error.ts";
import type { OptionValues } from "./option_values.ts";
import { parseSyslogUrl, type SyslogTarget } from "../parse/syslog_url.ts";
import { EVENT_FORMATS, type EventFormat } from "../render/event_formats.ts";
import { SYSLOG_QUEUE_LIMIT } from "../store/syslog_sink.ts";
import { thousands } from "../model/thousands.ts";

/** The syslog flags as the parser leaves them. */
export interface SyslogFlags {
  /** `--syslog`, each one read. */
  syslog: SyslogTarget[];
  /** `--syslog-format`; by default the `--format` when that is JSON, else ECS. */
  syslogFormat?: EventFormat;
  /** `--syslog-ca FILE`: certificates to trust for `tls://` receivers. */
  syslogCa?: string;
}

/** The values of {@linkcode syslogOptions}' flags. */
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
  return "transport" in value && typeof value.transport === "string" &&
    "host" in value && typeof value.host === "string" &&
    "port" in value && typeof value.port === "number" &&
    "url" in value && typeof value.url === "string";
}

function syslogValue(value: string, previous: SyslogTarget[] = []): SyslogTarget[] {
  try {
    return [...previous, parseSyslogUrl(value)];
  } catch (error) {
    throw new UsageError(`--syslog: ${error instanceof Error ? error.message : error}`);
  }
}

/** `--syslog`, `--syslog-format` and `--syslog-ca`. */
export function syslogOptions(): OptionSpec[] {
  return [
    {
      flags: "--syslog <url>",
      description:
        `send every event to a syslog receiver: udp://, tcp:// or tls://HOST:PORT (repeatable; RFC 5424, ` +
        `up to ${thousands(SYSLOG_QUEUE_LIMIT)} events kept while it is away)`,
      parse: (value, previous) => syslogValue(value, Array.isArray(previous) ? previous : []),
    },
    {
      flags: "--syslog-format <format>",
      description: "the JSON in syslog messages (default: --format when JSON, else ecs)",
      choices: EVENT_FORMATS,
    },
    { flags: "--syslog-ca <file>", description: "PEM certificates to trust for tls:// receivers" },
  ];
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
