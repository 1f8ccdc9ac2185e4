import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import { io, options, scripted, socket } from "./_monitor_io.ts";
import { tempDir } from "../temp_dir.ts";

Deno.test("monitor shows country and AS in scroll lines, logs and the export, with the data's attribution", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const geo = join(dir, "geo");
  await Deno.mkdir(geo);
  // A user's DB-IP ASN file whose organisation is a spreadsheet formula with an escape in it.
  await Deno.writeTextFile(
    join(geo, "dbip-asn-lite.csv"),
    '9.9.9.0,9.9.9.255,19281,"=HYPERLINK(""x"")\x1b[2J"\n',
  );
  const google = socket("8.8.8.8", 50000);
  const quad9 = socket("9.9.9.9", 50001);
  const run = io(scripted([[google, quad9], [google], [google]]));
  const code = await runMonitorCommand(
    options([
      "--count",
      "3",
      "-t",
      "0.01",
      "--geo-path",
      geo,
      "-o",
      join(dir, "timeline.txt"),
      "--log-dir",
      join(dir, "logs"),
      "--log-format",
      "csv",
      "--log-format",
      "json",
      "--log-format",
      "txt",
    ]),
    run.io,
  );
  deepStrictEqual(code, 0, run.stderr());
  const lines = run.stdout().split("\n");
  match(lines[0] ?? "", /NEW → 8\.8\.8\.8 \[US \| AS15169 Google LLC\] ESTABLISHED:443/);
  match(
    lines[1] ?? "",
    /NEW → 9\.9\.9\.9 \[[A-Z]{2} \| AS19281 =HYPERLINK\("x"\)\\x1b\[2J\] ESTABLISHED:443/,
  );
  ok(!run.stdout().includes("\x1b"), "an escape from a GeoIP file reached the terminal");

  const timeline = await Deno.readTextFile(join(dir, "timeline.txt"));
  match(
    timeline,
    /Data: .*dbip-asn-lite\.csv: IP Geolocation by DB-IP \(https:\/\/db-ip\.com\); ASN data: RouteViews/,
  );
  match(timeline, /Country: US \| ASN: AS15169 Google LLC/);

  const logs = [...Deno.readDirSync(join(dir, "logs"))].map((e) => e.name).sort();
  const csv = (await Deno.readTextFile(join(dir, "logs", logs[0] ?? ""))).trim().split("\n");
  match(csv[0] ?? "", /,event,hostname,country,asn,as_org,duration_s,domain$/);
  match(csv[1] ?? "", /,NEW,,US,15169,Google LLC,,$/);
  ok(csv[2]?.includes(`,"'=HYPERLINK(""x"")`), `a formula reached the CSV log: ${csv[2]}`);
  const json = (await Deno.readTextFile(join(dir, "logs", logs[1] ?? ""))).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  deepStrictEqual([json[0].country, json[0].asn, json[0].as_org], ["US", 15169, "Google LLC"]);
  match(await Deno.readTextFile(join(dir, "logs", logs[2] ?? "")), /Country: US \| ASN: AS15169 Google LLC/);
});

Deno.test("monitor --no-lookup-country --no-lookup-asn shows neither", async () => {
  const run = io(scripted([[socket("8.8.8.8", 50000)]]));
  await runMonitorCommand(options(["--count", "1", "--no-lookup-country", "--no-lookup-asn"]), run.io);
  match(run.stdout(), /NEW → 8\.8\.8\.8 ESTABLISHED:443/);
  const asnOnly = io(scripted([[socket("8.8.8.8", 50000)]]));
  await runMonitorCommand(options(["--count", "1", "--no-lookup-country"]), asnOnly.io);
  match(asnOnly.stdout(), /NEW → 8\.8\.8\.8 \[AS15169 Google LLC\] ESTABLISHED:443/);
});
