import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { END_LINE, SedFileReader, SedReadError, UpToEndLine } from "../../lib/collect/sed_file_reader.ts";
import { catFiles, type FileReading, SED_RESTARTS, sedThenCat } from "../../lib/collect/read_files.ts";
import { toolRunner } from "../../lib/collect/run_tool.ts";
import { stoppablePrograms } from "../../lib/cli/stoppable_programs.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import type { Programs, RunningProgram } from "../../lib/platform/platform.ts";
import { hasTool } from "../open_sockets.ts";
import { ToolError } from "../../lib/model/errors.ts";

const platform = denoPlatform();
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const hasSed = Deno.build.os === "linux" && hasTool("sed");

type Read = FileReading["read"];

/** What a read handed on, as text. */
async function readText(read: Read, files: readonly string[]): Promise<string> {
  let text = "";
  await read(files, (chunk) => (text += decoder.decode(chunk, { stream: true })));
  return text;
}

Deno.test("UpToEndLine hands on every byte before the end line, wherever the chunks split it", () => {
  const output = encoder.encode(`one\ntwo ${END_LINE.slice(0, 5)}\n${END_LINE}\n`);
  for (let first = 0; first <= output.length; first++) {
    for (let second = first; second <= output.length; second++) {
      const handed: number[] = [];
      const upTo = new UpToEndLine((chunk) => handed.push(...chunk));
      const parts = [output.subarray(0, first), output.subarray(first, second), output.subarray(second)];
      const ends = parts.map((part) => upTo.push(part.slice()));
      const at = `split at ${first}, ${second}`;
      deepStrictEqual(decoder.decode(new Uint8Array(handed)), `one\ntwo ${END_LINE.slice(0, 5)}\n`, at);
      // Only the push that brought the end line's last byte says it ended.
      const last = parts.findLastIndex((part) => part.length > 0);
      deepStrictEqual(ends, parts.map((_, i) => i === last), at);
    }
  }
});

Deno.test("UpToEndLine: a request whose files printed nothing ends at once", () => {
  const handed: Uint8Array[] = [];
  deepStrictEqual(new UpToEndLine((chunk) => handed.push(chunk)).push(encoder.encode(`${END_LINE}\n`)), true);
  deepStrictEqual(handed, []);
});

Deno.test({
  name: "SedFileReader: one real sed prints the files each request asks for, read anew, in their order",
  ignore: !hasSed,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const files = ["a", "b", "c", "missing"].map((name) => `${dir}/${name}`);
    await Deno.writeTextFile(files[0]!, "first\n");
    await Deno.writeTextFile(files[1]!, "second\nfile\n");
    // Larger than a pipe's 64 KiB: more than one chunk.
    const large = "x".repeat(99) + "\n";
    await Deno.writeTextFile(files[2]!, large.repeat(2_000));
    const spawned: string[] = [];
    const reader = new SedFileReader({
      ...platform.programs,
      spawn: (command, args, options) => {
        spawned.push(command);
        return platform.programs.spawn(command, args, options);
      },
    }, files);
    const read: Read = (asked, onChunk) => reader.read(asked, onChunk);
    try {
      deepStrictEqual(await readText(read, [files[0]!, files[1]!]), "first\nsecond\nfile\n");
      deepStrictEqual(await readText(read, [files[1]!]), "second\nfile\n");
      await Deno.writeTextFile(files[1]!, "changed\n");
      deepStrictEqual(await readText(read, files), "first\nchanged\n" + large.repeat(2_000));
      // A file that cannot be read prints nothing, as cat prints nothing of it.
      deepStrictEqual(await readText(read, [files[3]!]), "");
      deepStrictEqual(spawned, ["sed"]);
      await rejects(() => readText(read, [files[1]!, files[0]!]), RangeError);
    } finally {
      await reader.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "SedFileReader prints /proc/net's tables as cat does (the same heads, a row for each socket)",
  ignore: !hasSed || !hasTool("cat"),
  fn: async () => {
    const files = ["/proc/net/sockstat", "/proc/net/udp", "/proc/net/tcp"];
    const reader = new SedFileReader(platform.programs, files);
    try {
      const heads = (text: string) =>
        text.split("\n").filter((line) => /^\s*sl\s/.test(line) || /^[A-Z]/.test(line))
          .map((line) => line.split(":")[0]!.trim().split(/\s+/)[0]);
      const bySed = await readText((asked, onChunk) => reader.read(asked, onChunk), files);
      const byCat = await readText(catFiles(toolRunner(platform.programs)).read, files);
      deepStrictEqual(heads(bySed), heads(byCat));
      ok(heads(bySed).filter((head) => head === "sl").length === 2, bySed.slice(0, 300));
    } finally {
      await reader.close();
    }
  },
});

Deno.test({
  name:
    "SedFileReader: a sed a stop killed fails its next request, handing nothing on; the one after starts another",
  ignore: !hasSed,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/a`;
    await Deno.writeTextFile(file, "text\n");
    const stop = new AbortController();
    const programs = stoppablePrograms(platform.programs, stop.signal);
    const reader = new SedFileReader(programs, [file]);
    const read: Read = (asked, onChunk) => reader.read(asked, onChunk);
    try {
      deepStrictEqual(await readText(read, [file]), "text\n");
      stop.abort();
      const error = await readText(read, [file]).then(() => null, (e) => e);
      ok(error instanceof SedReadError, String(error));
      deepStrictEqual([error.handedOn, error.timedOut], [false, false]);
      ok(error.message.startsWith(`"sed" reading ${file} ended before it printed them`), error.message);
      deepStrictEqual(await readText(read, [file]), "text\n");
    } finally {
      await reader.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Programs whose `sed` is `program` (made at each spawn). */
function programsWith(program: () => RunningProgram): Programs {
  return {
    output: () => Promise.reject(new Error("not used")),
    spawn: () => program(),
  };
}

/** A program that reads its input and prints `output`, then never ends until killed. */
function printing(output: string, options: { end?: boolean } = {}): RunningProgram {
  let kill = () => {};
  const status = new Promise<{ code: number; signal: string | null }>((resolve) => {
    kill = () => resolve({ code: 1, signal: "SIGKILL" });
  });
  let stdoutController: ReadableByteStreamController | null = null;
  const stdout = new ReadableStream({
    type: "bytes",
    start: (controller: ReadableByteStreamController) => void (stdoutController = controller),
  });
  // A byte stream's reader waiting with its own buffer is answered by respond(0) after the close.
  const end = () => {
    stdoutController?.close();
    stdoutController?.byobRequest?.respond(0);
  };
  return {
    stdin: new WritableStream({
      write: () => {
        if (output !== "") stdoutController?.enqueue(encoder.encode(output));
        if (options.end) end();
      },
    }),
    stdout,
    stderr: new ReadableStream({ start: (controller) => controller.close() }),
    status,
    kill: () => {
      kill();
      try {
        end();
      } catch {
        // Closed already.
      }
    },
  };
}

Deno.test("SedFileReader: a sed that ends in the middle of a request says whether it had handed bytes on", async () => {
  // The last bytes are held back (they may be the end line's start): a line longer than the end line is handed on.
  for (const [output, handedOn] of [["", false], [`${"a row of a table ".repeat(4)}\n`, true]] as const) {
    const reader = new SedFileReader(programsWith(() => printing(output, { end: true })), ["/f"]);
    const error = await reader.read(["/f"], () => {}).then(() => null, (e) => e);
    ok(error instanceof SedReadError, String(error));
    deepStrictEqual([error.handedOn, error.timedOut], [handedOn, false]);
    await reader.close();
  }
});

Deno.test("SedFileReader: a sed that does not answer within its time is killed, and the request timed out", async () => {
  const reader = new SedFileReader(programsWith(() => printing("part of a table\n")), ["/f"], {
    timeoutMs: 50,
  });
  // A real program's pipes keep the process alive while it waits; this one's are JavaScript's alone.
  const alive = setInterval(() => {}, 1_000);
  const error = await reader.read(["/f"], () => {}).then(() => null, (e) => e).finally(() =>
    clearInterval(alive)
  );
  ok(error instanceof SedReadError, String(error));
  deepStrictEqual([error.timedOut, error.message], [
    true,
    `"sed" reading /f did not print them within 0.05 s`,
  ]);
  await reader.close();
});

Deno.test("SedFileReader: sed not installed, or not allowed, is one sentence", async () => {
  for (
    const [name, message] of [["NotFound", `cannot find "sed" on PATH`], [
      "NotCapable",
      "conntrail may not run",
    ]]
  ) {
    const failing: Programs = {
      output: () => Promise.reject(new Error("not used")),
      spawn: () => {
        const error = new Error("no");
        error.name = name!;
        throw error;
      },
    };
    const error = await new SedFileReader(failing, ["/f"]).read(["/f"], () => {}).then(() => null, (e) => e);
    ok(String(error?.message).startsWith(message!), String(error));
  }
});

/** A sed whose requests answer as `answers` say, in turn: a text, or an error. */
function scriptedSed(answers: (string | SedReadError)[]): { read: Read; asked: number } {
  const sed = {
    asked: 0,
    read: (_files: readonly string[], onChunk: (chunk: Uint8Array) => void) => {
      const answer = answers[sed.asked++] ?? "";
      if (answer instanceof SedReadError) return Promise.reject(answer);
      onChunk(encoder.encode(answer));
      return Promise.resolve();
    },
  };
  return sed;
}

const cat: FileReading = {
  kept: false,
  read: (_files, onChunk) => Promise.resolve(onChunk(encoder.encode("by cat\n"))),
};
const ended = (handedOn = false, timedOut = false) => new SedReadError("ended", handedOn, { timedOut });

Deno.test("sedThenCat: a sed that never worked is not asked again; cat reads from its first failure on", async () => {
  const sed = scriptedSed([ended(), "by sed\n"]);
  const reading = sedThenCat(sed, cat);
  deepStrictEqual(reading.kept, true);
  deepStrictEqual([await readText(reading.read, ["/f"]), await readText(reading.read, ["/f"])], [
    "by cat\n",
    "by cat\n",
  ]);
  deepStrictEqual([sed.asked, reading.kept], [1, false]);
});

Deno.test(`sedThenCat: a sed that worked is asked again after a failure, ${SED_RESTARTS} times at most`, async () => {
  // sed, a failure (cat reads), sed again, then failures: each but the last allowed one is followed by another sed.
  const sed = scriptedSed([
    "by sed\n",
    ended(),
    "by sed\n",
    ...Array.from({ length: SED_RESTARTS }, () => ended()),
  ]);
  const { read } = sedThenCat(sed, cat);
  const texts: string[] = [];
  for (let i = 0; i < SED_RESTARTS + 5; i++) texts.push(await readText(read, ["/f"]));
  deepStrictEqual(texts, [
    "by sed\n",
    "by cat\n",
    "by sed\n",
    ...Array.from({ length: SED_RESTARTS + 2 }, () => "by cat\n"),
  ]);
  // Asked SED_RESTARTS + 3 times: failures 1 to SED_RESTARTS each start another sed; the one after, none.
  deepStrictEqual(sed.asked, SED_RESTARTS + 3);
});

Deno.test("sedThenCat: a failure after bytes were handed on, or a timeout, fails the reading as cut short", async () => {
  for (const error of [ended(true), ended(false, true)]) {
    const { read } = sedThenCat(scriptedSed(["by sed\n", error]), cat);
    await readText(read, ["/f"]);
    await rejects(() => readText(read, ["/f"]), (e) => e instanceof ToolError && e.timedOut);
  }
});

Deno.test("sedThenCat: a sed that cannot start (not installed, not allowed) reads by cat, and is not asked again", async () => {
  for (const name of ["NotFound", "NotCapable"]) {
    let started = 0;
    const failing: Programs = {
      output: () => Promise.reject(new Error("not used")),
      spawn: () => {
        started++;
        const error = new Error("no");
        error.name = name;
        throw error;
      },
    };
    const reading = sedThenCat(new SedFileReader(failing, ["/f"]), cat);
    deepStrictEqual([await readText(reading.read, ["/f"]), await readText(reading.read, ["/f"])], [
      "by cat\n",
      "by cat\n",
    ], name);
    deepStrictEqual([started, reading.kept], [1, false], name);
  }
});

Deno.test("SedFileReader: after a request whose output failed to be read (a read error, not an end), the next sed is read", async () => {
  /** A sed whose output fails to be read at its first request: the reader's buffer went with the failed read. */
  const failing = (): RunningProgram => {
    const program = printing("");
    let stdoutController: ReadableByteStreamController | null = null;
    const stdout = new ReadableStream({
      type: "bytes",
      start: (controller: ReadableByteStreamController) => void (stdoutController = controller),
    });
    const stdin = new WritableStream<Uint8Array>({
      // After the request, while the reader waits on its buffer.
      write: () => void setTimeout(() => stdoutController?.error(new Error("Input/output error")), 0),
    });
    return { ...program, stdin, stdout };
  };
  const programs = [failing(), printing(`text\n${END_LINE}\n`)];
  const reader = new SedFileReader(programsWith(() => programs.shift()!), ["/f"]);
  const error = await reader.read(["/f"], () => {}).then(() => null, (e) => e);
  ok(error instanceof SedReadError && /Input\/output error/.test(error.message), String(error));
  deepStrictEqual(await readText((files, onChunk) => reader.read(files, onChunk), ["/f"]), "text\n");
  await reader.close();
});
