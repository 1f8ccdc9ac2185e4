// @ts-check
// How the page writes addresses, times and numbers, and how it orders addresses. No DOM here:
// tests/web/format_test.ts runs it under Deno.

// Controls, and the bidi overrides and isolates that reorder what is shown (a process named
// `invoice\u202Egpj.exe` reads as `invoice…exe.jpg`, and the reversal runs on into the text after it).
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * An untrusted string (a process name, a path, a host name) as the page shows it: controls and bidi
 * overrides as visible `\xNN` / `\uNNNN` text, as the terminal shows them.
 * @param {string} text
 */
export function visibleText(text) {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * `ip:port`, `[v6]:port`, or `*` when there is no address.
 * @param {string | null | undefined} ip
 * @param {number | null | undefined} port
 */
export function endpoint(ip, port) {
  if (ip === null || ip === undefined) return "*";
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return port === null || port === undefined ? host : `${host}:${port}`;
}

// Written by hand: an Intl formatter costs more to make (a first one loads locale data, hundreds of
// milliseconds on a busy machine) than everything the page draws at first.

/** @param {number} n */
function two(n) {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A count with thousands separators: `21,034`.
 * @param {number} n
 */
export function count(n) {
  const text = String(Math.round(n));
  return text.length <= 3 ? text : text.replace(/\B(?=(\d{3})+$)/g, ",");
}

/**
 * A 24-hour clock time for a moment (epoch ms or ISO text), `15:04:05`; empty when unknown. `minutes`
 * leaves the seconds out.
 * @param {number | string | null | undefined} at
 * @param {{ minutes?: boolean }} [options]
 */
export function clock(at, options = {}) {
  if (at === null || at === undefined || at === "") return "";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return "";
  const minutes = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return options.minutes ? minutes : `${minutes}:${two(d.getSeconds())}`;
}

/**
 * Local date and time for a moment, `2026-12-02 15:04:05`; `-` when unknown.
 * @param {number | string | null | undefined} at
 */
export function dateTime(at) {
  if (at === null || at === undefined || at === "") return "-";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return "-";
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock(d.getTime())}`;
}

/**
 * A duration in seconds, short: `0.18s`, `12s`, `5m`, `2h`.
 * @param {number} s
 */
export function span(s) {
  if (s < 10) return `${Number(s.toPrecision(2))}s`;
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** @type {Intl.DisplayNames | null} */
let regionNames = null;

/**
 * A country's name from its ISO code (`US` → `United States`), or the code when the browser does not know it.
 * @param {string} code
 */
export function countryName(code) {
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * `AS15169 Google LLC`, or empty without an AS number.
 * @param {{ asn?: number | null, as_org?: string | null } | undefined} view
 */
export function asText(view) {
  if (!view?.asn) return "";
  return view.as_org ? `AS${view.asn} ${view.as_org}` : `AS${view.asn}`;
}

/** @type {Map<string, string>} */
const ipKeys = new Map();

/**
 * A text that sorts addresses in numeric order: IPv4 before IPv6, 127.20.0.2 before 127.20.0.100.
 * Not an address: sorted after them, as text.
 * @param {string | null | undefined} ip
 */
export function ipSortKey(ip) {
  if (ip === null || ip === undefined) return "~";
  let key = ipKeys.get(ip);
  if (key !== undefined) return key;
  key = computeIpKey(ip);
  if (ipKeys.size > 100_000) ipKeys.clear();
  ipKeys.set(ip, key);
  return key;
}

/** @param {string} ip */
function computeIpKey(ip) {
  const v4 = ip.match(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/);
  if (v4) return "4" + v4.slice(1).map((part) => Number(part).toString(16).padStart(2, "0")).join("");
  if (!ip.includes(":")) return "9" + ip;
  const bare = ip.replace(/%.*$/, "");
  const [head, tail] = bare.includes("::") ? bare.split("::") : [bare, null];
  /** @param {string | null} text */
  const groups = (text) => {
    if (!text) return [];
    const parts = text.split(":");
    const last = parts.at(-1) ?? "";
    if (last.includes(".")) {
      const [a = 0, b = 0, c = 0, d = 0] = last.split(".").map(Number);
      parts.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return parts;
  };
  const start = groups(head ?? "");
  const end = groups(tail);
  const fill = tail === null ? [] : Array(Math.max(0, 8 - start.length - end.length)).fill("0");
  return "6" + [...start, ...fill, ...end].map((g) => g.padStart(4, "0")).join("");
}

/**
 * The status line's words on how polls keep up with the time unit. `recent` is what the page saw over about
 * the last minute: ticks that had no poll and the slowest poll among them, so that a slow first poll (the
 * collector's cold start) is not quoted for the rest of the run.
 * @param {{ tick_ms: number, poll_ms: number }} pace the last poll, as the server sent it
 * @param {{ missed: number, slowestMs: number }} recent
 * @returns {{ text: string, kind: "live" | "slow" }}
 */
export function paceStatus(pace, recent) {
  const tick = span(pace.tick_ms / 1000);
  const took = span(pace.poll_ms / 1000);
  if (pace.poll_ms > pace.tick_ms) {
    return { text: `a poll takes ${took}, more than the ${tick} time unit`, kind: "slow" };
  }
  if (recent.missed > 0) {
    const ticks = recent.missed === 1 ? "1 tick" : `${count(recent.missed)} ticks`;
    return {
      text: `${ticks} had no poll in the last minute (the slowest poll in it took ` +
        `${span(recent.slowestMs / 1000)}; the time unit is ${tick})`,
      kind: "slow",
    };
  }
  return { text: `a poll takes ${took} of ${tick}`, kind: "live" };
}
