import { deepStrictEqual, ok } from "node:assert/strict";
import { alertAnnotation, githubGroup } from "../../lib/render/github_commands.ts";
import { connection } from "../monitor/_connections.ts";

Deno.test("alertAnnotation names an unknown process, an incoming peer and the verdict as the title", () => {
  const line = alertAnnotation({
    event: "ALERT",
    connection: connection({ direction: "incoming", pid: null, process_name: null, local_port: 22 }),
    reason: "reputation MALICIOUS (AbuseIPDB score 100)",
    severity: "error",
    conditions: ["suspicious", "malicious"],
  }, null);
  deepStrictEqual(
    line,
    "::error title=conntrail%3A MALICIOUS::an unknown process talked with 203.0.113.7 port 22/tcp: " +
      "reputation MALICIOUS (AbuseIPDB score 100)",
  );
});

Deno.test("alertAnnotation and githubGroup keep an untrusted name on one line, inside its command", () => {
  const line = alertAnnotation({
    event: "ALERT",
    connection: connection({ process_name: "x\n::error::forged\r%0A" }),
    reason: "UNEXPECTED destination (not in a,b:c.txt)",
    conditions: ["unexpected"],
  }, "evil.example\n::set-env name=X::1");
  deepStrictEqual(line.split("\n").length, 1);
  ok(line.startsWith("::error title=conntrail%3A UNEXPECTED::x\\x0a::error::forged\\x0d%250A (pid 4211)"));
  ok(line.includes("evil.example\\x0a::set-env name=X::1 (203.0.113.7)"));
  deepStrictEqual(githubGroup("a\nb%"), "::group::a\\x0ab%25");
});
