/**
 * The history database's schema, as the steps that build it: step N takes a
 * database from `PRAGMA user_version` N-1 to N. Never edit a released step;
 * add one. tests/store/sqlite_store_test.ts builds a database with the steps
 * before the last, fills it, and checks that opening it upgrades it intact.
 *
 * @module
 */

/** Columns of a connection in a saved snapshot, in SPEC order. */
const SNAPSHOT_CONNECTION_COLUMNS = `timestamp TEXT NOT NULL, protocol TEXT NOT NULL, process_name TEXT,
  process_path TEXT, pid INTEGER, local_ip TEXT NOT NULL, local_port INTEGER NOT NULL, remote_ip TEXT,
  remote_port INTEGER, status TEXT NOT NULL, family INTEGER NOT NULL, direction TEXT NOT NULL, user TEXT`;

/** Schema steps; index 0 makes version 1. */
export const MIGRATIONS: readonly string[] = [
  // 1: addresses, their lists and processes, connections, alerts; snapshots as JSON arrays
  // (the way the snapshot recorder kept them).
  `CREATE TABLE addresses (
    ip TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    times_seen INTEGER NOT NULL DEFAULT 0,
    hostname TEXT, country TEXT, asn INTEGER, as_org TEXT,
    risk_level TEXT, abuse_score INTEGER, last_scanned INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX addresses_by_last_seen ON addresses (last_seen);
  CREATE TABLE address_lists (
    ip TEXT NOT NULL, entry TEXT NOT NULL, first_matched INTEGER NOT NULL,
    PRIMARY KEY (ip, entry)
  ) WITHOUT ROWID;
  CREATE TABLE address_processes (
    ip TEXT NOT NULL, process_name TEXT NOT NULL,
    PRIMARY KEY (ip, process_name)
  ) WITHOUT ROWID;
  CREATE TABLE connections (
    id INTEGER PRIMARY KEY,
    protocol TEXT NOT NULL, family INTEGER NOT NULL,
    local_ip TEXT NOT NULL, local_port INTEGER NOT NULL,
    remote_ip TEXT NOT NULL, remote_port INTEGER,
    status TEXT NOT NULL, direction TEXT NOT NULL,
    pid INTEGER, process_name TEXT, process_path TEXT, user TEXT,
    opened_at INTEGER NOT NULL, closed_at INTEGER
  );
  CREATE INDEX connections_by_remote ON connections (remote_ip, opened_at);
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    protocol TEXT NOT NULL, remote_ip TEXT NOT NULL, remote_port INTEGER,
    pid INTEGER, process_name TEXT,
    reason TEXT NOT NULL, blocklist TEXT, risk_level TEXT, abuse_score INTEGER
  );
  CREATE INDEX alerts_by_time ON alerts (at);
  CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    taken_at INTEGER NOT NULL,
    connections TEXT NOT NULL
  );`,
  // 2: snapshot connections as rows (diff and queries read columns, not JSON); an index for prune.
  `CREATE TABLE snapshot_connections (
    snapshot_id INTEGER NOT NULL,
    ${SNAPSHOT_CONNECTION_COLUMNS}
  );
  CREATE INDEX snapshot_connections_by_snapshot ON snapshot_connections (snapshot_id);
  INSERT INTO snapshot_connections
    SELECT s.id, j.value ->> 'timestamp', j.value ->> 'protocol', j.value ->> 'process_name',
      j.value ->> 'process_path', j.value ->> 'pid', j.value ->> 'local_ip', j.value ->> 'local_port',
      j.value ->> 'remote_ip', j.value ->> 'remote_port', j.value ->> 'status', j.value ->> 'family',
      j.value ->> 'direction', j.value ->> 'user'
    FROM snapshots s, json_each(s.connections) j
    ORDER BY s.id, j.key;
  ALTER TABLE snapshots ADD COLUMN connection_count INTEGER NOT NULL DEFAULT 0;
  UPDATE snapshots SET connection_count = json_array_length(connections);
  ALTER TABLE snapshots DROP COLUMN connections;
  CREATE INDEX connections_by_close ON connections (closed_at);`,
  // 3: a connection already open when the monitor started has no known opening time; a later run
  // finds the record an earlier one left open for the same socket (partial index: open ones only).
  `ALTER TABLE connections ADD COLUMN open_at_start INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX connections_left_open ON connections (remote_ip, remote_port, local_port)
    WHERE closed_at IS NULL;`,
  // 4: the name a connection's program asked for (DNS answers, --sniff-dns), and an address's last one.
  `ALTER TABLE connections ADD COLUMN domain TEXT;
  ALTER TABLE addresses ADD COLUMN domain TEXT;`,
  // 5: each connection's byte counters (--traffic); an address's totals are their sums.
  `ALTER TABLE connections ADD COLUMN bytes_sent INTEGER;
  ALTER TABLE connections ADD COLUMN bytes_received INTEGER;`,
];

/** The schema version this conntrail writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;
