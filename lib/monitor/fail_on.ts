/**
 * What `--fail-on` can name. Apart from alert_watch.ts, which watches for them, so that parsing a command
 * line loads these names and not the threat verdicts behind the watch.
 *
 * @module
 */
import type { AlertCondition } from "../model/monitor_event.ts";

/** What `--fail-on` can name. */
export const FAIL_ON: readonly AlertCondition[] = ["blocklisted", "suspicious", "malicious", "unexpected"];
/** One `--fail-on` condition. */
export type FailOn = AlertCondition;
