/**
 * RFC 5424 syslog messages (the octet-counted framing RFC 6587 (TCP) and
 * RFC 5425 (TLS) carry them in is the sink's: lib/store/syslog_frame.ts).
 *
 * @module
 */

/** Facility `local0`, which receivers route by without taking over a system facility. */
export const SYSLOG_FACILITY_LOCAL0 = 16;

/** Severities conntrail uses. */
export const SYSLOG_SEVERITY = { error: 3, warning: 4, info: 6 } as const;

/** The header fields of one message. */
export interface SyslogHeader {
  facility: number;
  severity: number;
  /** RFC 3339 with an offset and at most 6 fraction digits, as `isoWithOffset` writes it. */
  timestamp: string;
  /** Null becomes the nil value `-`. */
  hostname: string | null;
  appName: string;
  procId: number | null;
  msgId: string;
}

/** Printable US-ASCII without spaces, cut to the field's length; `-` when nothing is left. */
function headerField(value: string | null, maxLength: number): string {
  if (value === null) return "-";
  let out = "";
  for (const char of value) {
    const code = char.charCodeAt(0);
    out += code >= 33 && code <= 126 ? char : "_";
    if (out.length >= maxLength) break;
  }
  return out === "" ? "-" : out;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

/**
 * One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`,
 * no structured data, the message as it is (no BOM, so a JSON message stays
 * JSON for the receiver). Header fields are made printable ASCII and cut to
 * their RFC lengths; a timestamp that is not RFC 3339 becomes `-`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { syslogMessage } from "./syslog_message.ts";
 * deepStrictEqual(
 *   syslogMessage({ facility: 16, severity: 6, timestamp: "2026-11-21T14:30:16.250+01:00", hostname: "ws1",
 *     appName: "conntrail", procId: 4242, msgId: "NEW" }, '{"a":1}'),
 *   '<134>1 2026-11-21T14:30:16.250+01:00 ws1 conntrail 4242 NEW - {"a":1}',
 * );
 * ```
 */
export function syslogMessage(header: SyslogHeader, message: string): string {
  const pri = header.facility * 8 + header.severity;
  const time = TIMESTAMP.test(header.timestamp) ? header.timestamp : "-";
  return `<${pri}>1 ${time} ${headerField(header.hostname, 255)} ${headerField(header.appName, 48)} ` +
    `${header.procId === null ? "-" : headerField(String(header.procId), 128)} ${
      headerField(header.msgId, 32)
    } - ` +
    message;
}
