import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { runBlocklistList, runBlocklistUpdate } from "../../lib/cli/blocklist_command.ts";
import { parseBlocklist } from "../../lib/parse/blocklist.ts";
import { fixture } from "../fixture.ts";
import { recordedIo } from "./_output_recorder.ts";
import type { CommandIo } from "../../lib/cli/command_io.ts";
import { startListMirror } from "../list_mirror_server.ts";

/** A mirror laid out as the sources are, holding excerpts of the real lists (tests/fixtures/blocklists/). */
async function mirrorRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "conntrail-mirror-" });
  const files: [string, string][] = [
    ["firehol/firehol_level1.netset", "blocklists/firehol_level1_head120.netset"],
    ["spamhaus/drop.txt", "blocklists/spamhaus_drop_head60.txt"],
    ["spamhaus/dropv6.txt", "blocklists/spamhaus_dropv6.txt"],
    ["ipsum/levels/3.txt", "blocklists/ipsum_level3_head40.txt"],
  ];
  for (const [path, source] of files) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), fixture(source));
  }
  return root;
}

function updateIo(now: () => number): { io: CommandIo; stdout: () => string; stderr: () => string } {
  return recordedIo({ now });
}

const NAMES = ["firehol_level1", "spamhaus_drop", "spamhaus_dropv6", "ipsum_level3"];

Deno.test("blocklist update downloads from a loopback mirror, at most once an hour, then with conditional requests", async () => {
  const root = await mirrorRoot();
  let brokenLevel1 = false;
  const mirror = startListMirror(
    root,
    (path) =>
      brokenLevel1 && path.endsWith("firehol_level1.netset")
        ? new Response("<html><body>Service Unavailable</body></html>", { status: 200 })
        : null,
  );
  const dataDir = await Deno.makeTempDir({ prefix: "conntrail-data-" });
  const directory = join(dataDir, "blocklists");
  let now = Date.UTC(2026, 10, 21, 12, 0, 0);
  try {
    const first = updateIo(() => now);
    deepStrictEqual(await runBlocklistUpdate({ names: NAMES, dataDir, mirror: mirror.url }, first.io), 0);
    const served = await Deno.readTextFile(join(root, "firehol/firehol_level1.netset"));
    deepStrictEqual(await Deno.readTextFile(join(directory, "firehol_level1.netset")), served);
    const entries = parseBlocklist(served).entryCount.toLocaleString("en");
    match(
      first.stdout(),
      new RegExp(`firehol_level1 +downloaded, ${entries} entries +${directory}/firehol_level1\\.netset`),
    );
    deepStrictEqual(
      parseBlocklist(await Deno.readTextFile(join(directory, "spamhaus_dropv6.txt"))).v6.length,
      78,
    );
    match(
      first.stdout(),
      /use them with: conntrail --blocklist .*firehol_level1\.netset --blocklist .*spamhaus_drop\.txt/,
    );
    deepStrictEqual(mirror.requests.map((r) => [r.status, r.ifNoneMatch]), NAMES.map(() => [200, null]));

    now += 10 * 60_000;
    const soon = updateIo(() => now);
    deepStrictEqual(await runBlocklistUpdate({ names: [], dataDir, mirror: mirror.url }, soon.io), 0);
    deepStrictEqual(mirror.requests.length, 4);
    match(soon.stdout(), /spamhaus_drop +skipped: fetched less than an hour ago; next at \d\d:\d\d:\d\d/);

    now += 2 * 3_600_000;
    const later = updateIo(() => now);
    deepStrictEqual(await runBlocklistUpdate({ names: [], dataDir, mirror: mirror.url }, later.io), 0);
    const conditional = mirror.requests.slice(4);
    deepStrictEqual(conditional.map((r) => r.status), [304, 304, 304, 304]);
    ok(conditional.every((r) => r.ifNoneMatch !== null && r.ifModifiedSince !== null));
    match(later.stdout(), /ipsum_level3 +not changed since the last download/);

    now += 2 * 3_600_000;
    brokenLevel1 = true;
    const broken = updateIo(() => now);
    deepStrictEqual(
      await runBlocklistUpdate({ names: ["firehol_level1"], dataDir, mirror: mirror.url }, broken.io),
      1,
    );
    match(
      broken.stderr(),
      /error: firehol_level1 not updated: .* sent no IP, CIDR, range or domain; the old file is kept/,
    );
    deepStrictEqual(await Deno.readTextFile(join(directory, "firehol_level1.netset")), served);

    const listing = updateIo(() => now);
    await runBlocklistList({ names: [], dataDir }, listing.io);
    match(listing.stdout(), new RegExp(`firehol_level1 .*\\n +${entries} entries, checked 0 h ago`));
    match(listing.stdout(), /firehol_level2 .*\n +not downloaded/);
  } finally {
    await mirror.close();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("blocklist update refuses an unknown list and says where the data directory is missing from", async () => {
  await rejects(
    runBlocklistUpdate({ names: ["firehol_level9"], dataDir: "/tmp" }, updateIo(Date.now).io),
    /unknown list "firehol_level9"; known lists: firehol_level1, /,
  );
  await rejects(
    runBlocklistUpdate({ names: [] }, updateIo(Date.now).io),
    /cannot find the data directory: .* pass --data-dir DIR or run with --allow-env=XDG_DATA_HOME,HOME/,
  );
});
