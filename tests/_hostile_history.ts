/**
 * Real history files with hostile contents, as an attacker who can write the
 * data directory (or hand a user a database) would make them: a conntrail
 * SQLite database built with the real schema steps, and the reputation
 * tool's JSON files, holding terminal escapes, C1 controls and bidi
 * overrides where conntrail expects addresses, statuses and risk levels.
 */
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS, SCHEMA_VERSION } from "../lib/store/_sqlite_schema.ts";

/** Terminal escapes of every kind a hostile file might carry. */
export const HOSTILE = {
  clear: "\x1b[2J",
  title: "\x1b]0;owned\x07",
  csi: "\x9b31m",
  bidi: "\u202eevil",
  isolate: "\u2066x\u2069",
  bell: "\x07",
  backspace: "\b\b\b",
  cr: "\rfake line",
} as const;

/** Anything a terminal would act on, other than a line break. */
// deno-lint-ignore no-control-regex
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** An address with a clean IP whose rows are hostile, for `history IP`. */
export const CLEAN_IP = "198.51.100.7";

/** A conntrail SQLite history whose stored text is hostile in every column a table shows. */
export function writeHostileSqlite(path: string, values: readonly string[] = Object.values(HOSTILE)): void {
  const db = new DatabaseSync(path);
  try {
    for (const step of MIGRATIONS) db.exec(step);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    const address = db.prepare(
      `INSERT INTO addresses (ip, first_seen, last_seen, times_seen, hostname, country, asn, as_org, risk_level,
        abuse_score, last_scanned) VALUES (?, ?, ?, 1, ?, ?, 64500, ?, ?, 50, ?)`,
    );
    const connection = db.prepare(
      `INSERT INTO connections (protocol, family, local_ip, local_port, remote_ip, remote_port, status, direction,
        pid, process_name, process_path, user, opened_at, closed_at) VALUES (?, 4, ?, 5000, ?, 443, ?, ?, 42, ?, ?, ?, ?, ?)`,
    );
    const alert = db.prepare(
      `INSERT INTO alerts (at, protocol, remote_ip, remote_port, pid, process_name, reason, risk_level)
        VALUES (?, ?, ?, 443, 42, ?, ?, ?)`,
    );
    const now = Date.now();
    values.forEach((value, i) => {
      const ip = `203.0.113.${i + 1}${value}`;
      address.run(ip, now - 1000 * i, now, value, value, value, value, now);
      connection.run(`T${value}`, `10.0.0.2${value}`, ip, value, value, value, value, value, now - 1000, now);
    });
    address.run(CLEAN_IP, now - 5000, now, `host${values[0] ?? ""}`, "US", values[1] ?? "", "SAFE", now);
    values.forEach((value) => {
      connection.run(
        `T${value}`,
        `10.0.0.2${value}`,
        CLEAN_IP,
        `ESTAB${value}`,
        "outgoing",
        value,
        value,
        value,
        now - 1000,
        null,
      );
      alert.run(now, `U${value}`, CLEAN_IP, value, `reason ${value}`, value);
    });
    db.prepare("INSERT INTO address_lists (ip, entry, first_matched) VALUES (?, ?, ?)").run(
      CLEAN_IP,
      `list${values[2] ?? ""}`,
      now,
    );
    db.prepare("INSERT INTO address_processes (ip, process_name) VALUES (?, ?)").run(
      CLEAN_IP,
      `proc${values[3] ?? ""}`,
    );
  } finally {
    db.close();
  }
}

/** The reputation tool's `ip_history.json` with hostile keys and values. */
export function hostileJsonHistory(values: readonly string[] = Object.values(HOSTILE)): string {
  const now = new Date().toISOString();
  const history: Record<string, unknown> = {};
  values.forEach((value, i) => {
    history[`${value}203.0.113.${i + 1}`] = {
      first_seen: now,
      last_seen: now,
      times_seen: 2,
      hostname: value,
      risk_level: "SAFE",
      country: value,
      as_org: value,
      lists: [value],
    };
  });
  return JSON.stringify(history);
}
