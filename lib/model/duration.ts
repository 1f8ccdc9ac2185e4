import { InputError } from "./errors.ts";

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Read a duration as `--duration` and `--older-than` take it: a number of
 * seconds, or numbers with units `ms`, `s`, `m`, `h`, `d`, which may be
 * combined (`1h30m`). Returns milliseconds; throws a {@linkcode InputError}
 * naming the value when it cannot be read or is not above zero.
 *
 * @example
 * ```ts
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * import { parseDuration } from "./duration.ts";
 * deepStrictEqual(parseDuration("90"), 90_000);
 * deepStrictEqual(parseDuration("1h30m"), 5_400_000);
 * deepStrictEqual(parseDuration("2.5s"), 2_500);
 * throws(() => parseDuration("soon"), /"soon" is not a duration/);
 * ```
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  let ms = 0;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const parts = trimmed.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g);
    if (parts === null || parts.join("") !== trimmed) {
      throw new InputError(`"${text}" is not a duration; use seconds or units like 30s, 5m, 1h30m, 2d`);
    }
    for (const part of parts) {
      const [, value = "0", unit = "s"] = part.match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/) ?? [];
      ms += Number(value) * (UNIT_SECONDS[unit] ?? 1) * 1000;
    }
  }
  if (!(ms > 0)) throw new InputError(`"${text}" is not a duration above zero`);
  return ms;
}

/**
 * A duration as `--since` and `--older-than` take it, from milliseconds: the
 * largest units first (`1h30m`), for messages that repeat what was asked.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { durationText } from "./duration.ts";
 * deepStrictEqual([durationText(3_600_000), durationText(5_400_000), durationText(90_061_500)],
 *   ["1h", "1h30m", "1d1h1m1s500ms"]);
 * ```
 */
export function durationText(ms: number): string {
  const units: [string, number][] = [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000], [
    "ms",
    1,
  ]];
  let rest = Math.round(ms);
  let text = "";
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text === "" ? "0s" : text;
}
