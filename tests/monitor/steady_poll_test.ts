import { deepStrictEqual, ok } from "node:assert/strict";
import { replay } from "./_replay.ts";

/**
 * A poll recognises what did not change by identity (a socket, its connection and the tracker's entry are the
 * same objects again) and skips work for it. What it reports must be what a poll that recognises nothing
 * (every socket and connection a plain copy, as if new to each layer) reports: the same NEW, STATE, CLOSED and
 * ALERT events with the same counters, the same status lines and rates, the same owners learned later.
 */
async function same(script: Parameters<typeof replay>[0], ran?: string[]): Promise<string[]> {
  const remembered = await replay(ran === undefined ? script : { ...script, ran });
  const copied = await replay({ ...script, copies: true });
  deepStrictEqual(remembered.length, copied.length);
  for (let i = 0; i < remembered.length; i++) {
    if (remembered[i] !== copied[i]) deepStrictEqual(remembered.slice(i, i + 5), copied.slice(i, i + 5));
  }
  return remembered;
}

/** How many lines of each kind (NEW, STATE, CLOSED, ALERT, STATUS, OWNER, POLL, NOTE) a replay reported. */
function kinds(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const kind = /^(POLL|OWNER|NOTE|OPEN)/.exec(line)?.[1] ?? /"event":"([A-Z]+)"/.exec(line)?.[1] ?? "?";
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

Deno.test("a poll that skips unchanged sockets reports what one that reads every socket afresh does: churn, TIME_WAIT reuse, late owners, held sockets, moving counters", async () => {
  const lines = await same({ connections: 300, udp: 20, churn: 12, polls: 70, timeWaitPolls: 25, seed: 7 });
  const counts = kinds(lines);
  // The script exercises what it is meant to: each kind of line is there.
  for (const kind of ["NEW", "STATE", "CLOSED", "ALERT", "STATUS", "OWNER", "NOTE"]) {
    deepStrictEqual((counts[kind] ?? 0) > 0, true, `${kind}: ${JSON.stringify(counts)}`);
  }
  // Bytes at close: CLOSED events carry the counters last read.
  deepStrictEqual(lines.some((l) => l.includes('"event":"CLOSED"') && /"bytes_sent":[1-9]/.test(l)), true);
  // Rates: status lines carry them.
  deepStrictEqual(lines.some((l) => /"bytes_sent_per_second":[1-9]/.test(l)), true);
});

Deno.test("with a tracer reporting opens and closes (owners named by the tracer, closes before the poll sees them), a poll that skips unchanged sockets reports what one that reads every socket afresh does", async () => {
  const lines = await same({
    connections: 200,
    udp: 10,
    churn: 10,
    polls: 50,
    timeWaitPolls: 20,
    trace: true,
    seed: 5,
  });
  const counts = kinds(lines);
  for (const kind of ["NEW", "STATE", "CLOSED", "OWNER"]) {
    deepStrictEqual((counts[kind] ?? 0) > 0, true, `${kind}: ${JSON.stringify(counts)}`);
  }
});

Deno.test("a socket in TIME_WAIT is recognised by its cookie only with its four-tuple: a cookie that comes back on another socket is that socket", async () => {
  await same({
    connections: 100,
    udp: 5,
    churn: 15,
    polls: 50,
    timeWaitPolls: 6,
    reuseCookies: true,
    seed: 3,
  });
});

Deno.test("a poll without churn reports the same as one that reads every socket afresh", async () => {
  const lines = await same({ connections: 200, udp: 10, churn: 0, polls: 30, seed: 11 });
  // The farm's connections that close over two polls (FIN_WAIT2/CLOSE_WAIT, then TIME_WAIT) and the clients
  // connected elsewhere (polls 10 and 20) are the only changes: STATE and CLOSED events, and NEW ones.
  const counts = kinds(lines);
  deepStrictEqual([counts.STATE! > 0, counts.CLOSED! > 0], [true, true], JSON.stringify(counts));
});

/**
 * Replay a script with TCP's rows of /proc where the collector reads them, and with dumps only (no `cat`): the
 * same report line for line; the lines of the first, and how many polls read rows.
 */
async function rowsReportAsDumps(
  script: Parameters<typeof replay>[0],
): Promise<{ lines: string[]; rows: number }> {
  const ran: string[] = [];
  const fromRows = await same(script, ran);
  const fromDumps = await replay({ ...script, cat: false });
  deepStrictEqual(fromRows.length, fromDumps.length);
  for (let i = 0; i < fromRows.length; i++) {
    if (fromRows[i] !== fromDumps[i]) deepStrictEqual(fromRows.slice(i, i + 5), fromDumps.slice(i, i + 5));
  }
  const rows = ran.filter((r) => r.startsWith("cat ") && r.includes("/proc/net/tcp")).length;
  return { lines: fromRows, rows };
}

/** Whether a replay reported each kind of line. */
function reportsEach(lines: string[], wanted: string[]): void {
  const counts = kinds(lines);
  for (const kind of wanted) {
    deepStrictEqual((counts[kind] ?? 0) > 0, true, `${kind}: ${JSON.stringify(counts)}`);
  }
}

/**
 * {@linkcode rowsReportAsDumps} under churn (each reading closes sockets: rows are tried after one that closed
 * none, and a dump lists what they leave out, see TcpDump.readRows) and without (most polls read rows; the farm's
 * connections that close, and those connected elsewhere, make a few dump). `reading`: how the counters are read.
 */
async function rowsAgainstDumps(reading: { traffic: false } | { countersEvery: number }): Promise<string[]> {
  const churn = await rowsReportAsDumps({
    connections: 300,
    udp: 20,
    churn: 12,
    polls: 60,
    timeWaitPolls: 25,
    seed: 9,
    ...reading,
  });
  reportsEach(churn.lines, ["NEW", "STATE", "CLOSED", "OWNER"]);
  const quiet = await rowsReportAsDumps({
    connections: 200,
    udp: 10,
    churn: 0,
    polls: 30,
    seed: 11,
    ...reading,
  });
  reportsEach(quiet.lines, ["NEW", "STATE", "CLOSED"]);
  ok(quiet.rows >= 12, `polls that read rows: ${quiet.rows} of 30`);
  return churn.lines;
}

Deno.test("without counters, polls that read TCP's rows from /proc (through UDP's cat) report what polls that dump TCP report: churn, TIME_WAIT, late owners, held sockets", async () => {
  await rowsAgainstDumps({ traffic: false });
});

Deno.test("with counters every 10th poll, polls between that read TCP's rows from /proc report what polls that dump TCP without counters report", async () => {
  // Dumps with counters and rows without them on one memory: the counters kept, TIME_WAIT found by the kernel's
  // cookie and by the rows' own, UDP from cat at every poll (its sockets as ss's text gives them).
  const lines = await rowsAgainstDumps({ countersEvery: 10 });
  deepStrictEqual(lines.some((l) => l.includes('"event":"CLOSED"') && /"bytes_sent":[1-9]/.test(l)), true);
});
