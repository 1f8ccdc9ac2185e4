import { deepStrictEqual } from "node:assert/strict";
import { octetCounted } from "../../lib/store/syslog_frame.ts";

Deno.test("octetCounted() counts bytes, not characters", () => {
  const frame = new TextDecoder().decode(octetCounted('<134>1 - - - - - - {"p":"café ☕"}'));
  deepStrictEqual(frame, '36 <134>1 - - - - - - {"p":"café ☕"}');
  deepStrictEqual(new TextEncoder().encode(frame.slice(3)).length, 36);
});
