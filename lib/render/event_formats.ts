/**
 * The JSON formats events are written in. Apart from event_record.ts, which renders them, so that parsing a
 * command line (`--format`, `--syslog-format`) loads these names and not the ECS and OCSF renderers.
 *
 * @module
 */

/** JSON formats of events: conntrail's NDJSON, Elastic Common Schema, OCSF Network Activity. */
export const EVENT_FORMATS = ["ndjson", "ecs", "ocsf"] as const;
/** One of {@linkcode EVENT_FORMATS}. */
export type EventFormat = typeof EVENT_FORMATS[number];
