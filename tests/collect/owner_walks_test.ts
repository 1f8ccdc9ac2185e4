import { deepStrictEqual } from "node:assert/strict";
import { createOwnerBook } from "../../lib/collect/owner_book.ts";
import { createOwnerWalks } from "../../lib/collect/owner_walks.ts";
import type { RunTool, ToolOutput } from "../../lib/collect/run_tool.ts";
import { unownedSocket } from "./_unowned_socket.ts";
import { isNaming, isProcessListing, processWalkAnswer } from "./_process_walk.ts";

const OWNED = 'tcp ESTAB 0 0 10.0.0.2:5000 8.8.8.8:443 users:(("curl",pid=42,fd=3)) ino:7 sk:1 <->\n';

/** OWNED's socket as a reading lists it before a walk names its process. */
function socket(inode: number) {
  return unownedSocket(inode, { local_port: 5000, remote_ip: "8.8.8.8" });
}

Deno.test("createOwnerWalks() spaces walks: after one that took W, the next may run spacing × W after it ended", async () => {
  let clock = 0;
  const run: RunTool = () => {
    clock += 100; // the walk takes 100 ms
    return Promise.resolve({ code: 0, stdout: OWNED, stderr: "" });
  };
  const book = createOwnerBook();
  const walks = createOwnerWalks({ run, now: () => clock, book, spacing: 3, ownWalk: false, note: () => {} });
  await walks.learnOwners([socket(7)], true); // the first reading's walk does not count
  deepStrictEqual([walks.mayWalk(), book.ownerOf(socket(7))?.pid], [true, 42]);
  await walks.learnOwners([socket(7)], false);
  clock = 499;
  deepStrictEqual(walks.mayWalk(), false);
  clock = 500;
  deepStrictEqual(walks.mayWalk(), true);
});

Deno.test("createOwnerWalks() walks beside the polls with spacing: a poll waits for it only a moment, and its failure is noted", async () => {
  let finish: (output: ToolOutput) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const run: RunTool = () =>
    new Promise<ToolOutput>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  const notes: string[] = [];
  const book = createOwnerBook();
  const walks = createOwnerWalks({
    run,
    now: () => 1000,
    book,
    spacing: 3,
    ownWalk: false,
    note: (t) => notes.push(t),
  });
  deepStrictEqual(walks.background, true);
  deepStrictEqual(await walks.walkFor([socket(7)]), []); // the walk runs on
  deepStrictEqual(walks.runningSince(), 1000);
  finish({ code: 0, stdout: OWNED, stderr: "" });
  await walks.walkFor([socket(7)]); // waits for the running walk, which names it
  deepStrictEqual([walks.runningSince(), book.has(7)], [null, true]);
  deepStrictEqual(await walks.walkFor([socket(7)]), []); // known: no walk
  const walking = walks.walkFor([socket(8)]);
  fail(new Error("find timed out"));
  await walking;
  deepStrictEqual(notes, ["a walk of the processes' descriptors failed: find timed out"]);
});

Deno.test("createOwnerWalks() with its own walk names the sockets asked about, and the next reading's new ones from that walk without another", async () => {
  const ran: string[] = [];
  // 42 and 43 were bash when find listed /proc; cat, after the walk, reads what they exec'd since.
  const processes = new Map([[42, "curl"], [43, "wget"]]);
  const run: RunTool = (command, args) => {
    const listing = isProcessListing(command, args);
    ran.push(listing ? "find /proc" : isNaming(command, args) ? `cat ${args.join(" ")}` : command);
    // find finds 42's sockets 7 and 9, and 43's 8 (8 and 9 opened after the reading that asked).
    const answer = processWalkAnswer(command, args, processes) ??
      { code: 0, stdout: command === "find" ? "/proc/42/fd\n7\n9\n/proc/43/fd\n8\n" : "", stderr: "" };
    return Promise.resolve(answer);
  };
  const book = createOwnerBook();
  const listened: string[] = [];
  const walks = createOwnerWalks({
    run,
    now: () => 0,
    book,
    spacing: 0,
    ownWalk: true,
    note: () => {},
    listListeners: () => {
      listened.push("listeners");
      return Promise.resolve([]);
    },
  });
  const asked = [socket(7), socket(10)];
  await walks.walkFor(asked);
  // Only what was asked is kept: 7 named, 10 (not found, and the start's walk is not this) without a process.
  deepStrictEqual([book.ownerOf(socket(7))?.pid, book.ownerOf(socket(10))?.pid, book.has(8)], [
    42,
    null,
    false,
  ]);
  // Every process holding a socket is named after the walk (43 owns no socket asked about, but the next
  // reading names its socket from this walk). No listing of every socket runs.
  deepStrictEqual([book.ownerOf(socket(7))?.name, ran, listened], [
    "curl",
    ["find /proc", "find", "cat /proc/42/stat /proc/43/stat"],
    ["listeners"],
  ]);
  book.forgetClosed(asked);
  await walks.walkFor([socket(8)]); // new at the next reading: the walk found it already
  deepStrictEqual([book.ownerOf(socket(8)), ran.length], [{ pid: 43, name: "wget" }, 3]);
  book.forgetClosed([...asked, socket(8)]);
  await walks.walkFor([socket(9)]); // the walk served the reading after it: a later new socket is walked for
  deepStrictEqual([book.ownerOf(socket(9))?.pid, ran.length], [42, 6]);
});

Deno.test("createOwnerWalks() beside the polls: a walk that ends while a poll waits for it names that poll's new sockets it found", async () => {
  let finishFind: (output: ToolOutput) => void = () => {};
  const run: RunTool = (command, args) => {
    if (command === "find" && args[0] === "-L") {
      return new Promise<ToolOutput>((resolve) => finishFind = resolve);
    }
    return Promise.resolve(
      processWalkAnswer(command, args, new Map([[42, "curl"]])) ?? { code: 0, stdout: "", stderr: "" },
    );
  };
  const book = createOwnerBook();
  const walks = createOwnerWalks({ run, now: () => 1000, book, spacing: 3, ownWalk: true, note: () => {} });
  await walks.walkFor([socket(7)]); // the walk for 7 runs on past the poll's wait
  deepStrictEqual(walks.runningSince(), 1000);
  // The next poll lists 8 (opened after the poll that asked) and waits for the running walk, which finds it.
  const polled = walks.walkFor([socket(8)]);
  finishFind({ code: 0, stdout: "/proc/42/fd\n7\n8\n", stderr: "" });
  await polled;
  deepStrictEqual([book.ownerOf(socket(7))?.pid, book.ownerOf(socket(8))?.pid], [42, 42]);
});
