/**
 * A process for stdout_test.ts: the real platform's stdout. `one-shot`: writes its chunks (ASCII, multibyte, one
 * longer than the encoding buffer) and says "written" on stderr. `live`: takes the signals first, as the monitor
 * does, starts writing 4 MB that a reader not reading holds up, and says "timer" on stderr when a timer fires
 * meanwhile, then "written" once the write is done.
 */
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();
if (Deno.args[0] === "live") {
  const detach = platform.onSignals(() => {}, () => {});
  const written = platform.stdout("x".repeat(4 * 1024 * 1024));
  setTimeout(() => platform.stderr("timer\n"), 0);
  await written;
  detach();
} else {
  for (let i = 0; i < 200; i++) await platform.stdout(`${i} ascii ${"a".repeat(i * 37)}\n`);
  await platform.stdout(`é€😀\n${"ü".repeat(200_000)}\n`);
  await platform.stdout("end\n");
}
platform.stderr("written\n");
