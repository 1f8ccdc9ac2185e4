import { deepStrictEqual } from "node:assert/strict";
import { createHeldSockets } from "../../lib/collect/held_sockets.ts";
import { createOwnerBook } from "../../lib/collect/owner_book.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { unownedSocket } from "./_unowned_socket.ts";

function socket(inode: number, status = "ESTABLISHED", localPort = 40_000 + inode): Socket {
  const listening = status === "LISTEN" ? { remote_ip: null, remote_port: null } : {};
  return unownedSocket(inode, { status, local_port: localPort, ...listening });
}

/** One reading as the collector makes it: begin, hold, release the named, forget. */
function reading(
  held: ReturnType<typeof createHeldSockets>,
  book: ReturnType<typeof createOwnerBook>,
  listed: Socket[],
  walkSince: number | null = null,
): Socket[] {
  held.begin();
  const read = held.withoutWaiting(listed, listed, walkSince);
  held.releaseNamed(read);
  held.forget(book.forgetClosed(read));
  return read;
}

Deno.test("createHeldSockets() holds a socket whose owner is not known until a walk names it, then reads it with its wait", () => {
  let clock = 0;
  const book = createOwnerBook();
  const held = createHeldSockets({ book, waitMs: 3000, now: () => clock });
  const s = socket(1);
  deepStrictEqual(reading(held, book, [s]), []);
  clock = 1500;
  book.setOwner(1, { pid: 42, name: "curl" });
  deepStrictEqual(reading(held, book, [s]), [s]);
  deepStrictEqual([...held.waited], [[1, 1500]]);
  deepStrictEqual(held.missed, 0);
});

Deno.test("createHeldSockets() reads a socket without its owner once it waited waitMs, unless a walk that started after it runs", () => {
  let clock = 0;
  const book = createOwnerBook();
  const held = createHeldSockets({ book, waitMs: 3000, now: () => clock });
  const s = socket(1);
  reading(held, book, [s]);
  clock = 3500;
  deepStrictEqual(reading(held, book, [s], 100), []); // the running walk started after it was first seen
  deepStrictEqual(reading(held, book, [s], null), [s]);
  deepStrictEqual([...held.waited], [[1, 3500]]);
  clock = 4000;
  deepStrictEqual(reading(held, book, [s]), [s]); // released: read without its owner from now on
  deepStrictEqual(held.waited.size, 0);
});

Deno.test("createHeldSockets() counts a held socket that closed before a walk named it as missed", () => {
  const book = createOwnerBook();
  const held = createHeldSockets({ book, now: () => 0 });
  reading(held, book, [socket(1), socket(2)]);
  reading(held, book, [socket(2)]);
  deepStrictEqual(held.missed, 1);
});

Deno.test("createHeldSockets() holds back the connections queued on a held listener (no inode yet)", () => {
  const book = createOwnerBook();
  const held = createHeldSockets({ book, now: () => 0 });
  const listener = socket(1, "LISTEN", 8080);
  const queued = { ...socket(0, "ESTABLISHED", 8080), inode: 0 };
  const other = { ...socket(0, "ESTABLISHED", 9090), inode: 0 };
  deepStrictEqual(reading(held, book, [listener, queued, other]), [other]);
});
