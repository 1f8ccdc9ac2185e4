/**
 * `conntrail snapshot` as a user runs it on a big machine: a capture of
 * 200,000 sockets through `--input -`, read whole and read by `head -1`.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const ROWS = 200_000;

/** An `ss -tunapeH` capture of `rows` established loopback connections. */
function bigCapture(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const ip = `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(
      `tcp ESTAB 0 0 127.0.0.1:${1024 + (i % 60000)} ${ip}:443 users:(("python3",pid=${1000 + (i % 7)},fd=${
        i + 3
      })) ino:${i + 1} sk:${i.toString(16)} <->`,
    );
  }
  return lines.join("\n") + "\n";
}

function snapshotChild() {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", MAIN, "snapshot", "--input", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function feed(child: Deno.ChildProcess, text: string): Promise<void> {
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
}

Deno.test("snapshot prints a table of 200,000 connections, one line each, with no error", async () => {
  const child = snapshotChild();
  const [, output] = await Promise.all([feed(child, bigCapture(ROWS)), child.output()]);
  const stderr = new TextDecoder().decode(output.stderr);
  deepStrictEqual([output.code, stderr], [0, ""]);
  const lines = new TextDecoder().decode(output.stdout).split("\n");
  deepStrictEqual(lines.length, ROWS + 2); // header, rows, and the empty string after the last newline
  ok(lines[ROWS]?.startsWith("TCP     127.0.0.1:"), lines[ROWS]);
});

Deno.test("snapshot | head -1: the header arrives, and the reader going away ends the run quietly", async () => {
  const child = snapshotChild();
  const fed = feed(child, bigCapture(ROWS));
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel(); // what `head -1` does once it has its line
  const stderr = new Response(child.stderr).text();
  const [status] = await Promise.all([child.status, fed]);
  deepStrictEqual(
    text.split("\n")[0],
    "PROTO   LOCAL             REMOTE              STATUS        DIRECTION   PID    PROCESS   USER",
  );
  deepStrictEqual([status.code, await stderr], [0, ""]);
});
