import { deepStrictEqual } from "node:assert/strict";
import { createOwnerBook } from "../../lib/collect/owner_book.ts";
import { unownedSocket as socket } from "./_unowned_socket.ts";

Deno.test("createOwnerBook() names a socket from a known owner, lists the unknown ones, and shares one object per process", () => {
  const book = createOwnerBook();
  book.setOwner(1, { pid: 42, name: "curl" });
  book.setOwner(2, { pid: 42, name: "curl" });
  book.setOwner(3, null);
  const [a, b, none, unknown] = [socket(1), socket(2), socket(3), socket(4)];
  deepStrictEqual(book.nameOwners([a, b, none, unknown]), [unknown]);
  deepStrictEqual([a.pid, a.process_name, b.pid, none.pid, unknown.pid], [42, "curl", 42, null, null]);
  deepStrictEqual(book.ownerOf(a) === book.ownerOf(b), true);
  deepStrictEqual([
    book.ownerKnown(none),
    book.ownerKnown(unknown),
    book.ownerKnown({ ...unknown, inode: 0 }),
  ], [
    true,
    false,
    true,
  ]);
});

Deno.test("createOwnerBook() forgetClosed() forgets the owners of inodes a reading no longer lists, and counts readings", () => {
  const book = createOwnerBook();
  book.setOwner(1, { pid: 42, name: "curl" });
  book.setOwner(2, { pid: 7, name: "sshd" });
  deepStrictEqual(book.forgetClosed([socket(1), socket(2)]), 1);
  deepStrictEqual(book.forgetClosed([socket(1)]), 2);
  deepStrictEqual([book.has(1), book.has(2), book.readings], [true, false, 2]);
});

Deno.test("createOwnerBook() learn() doubts a walk's first 'none' for a new socket and believes the second", () => {
  const book = createOwnerBook();
  book.learn(5, null, true);
  deepStrictEqual(book.has(5), false); // a socket made while the walk ran shows no process: wait for the next walk
  book.learn(5, null, true);
  deepStrictEqual([book.has(5), book.ownerOf(socket(5))?.pid], [true, null]);
  // Without doubt (the start's walk), the first "none" stands; an owner always does.
  book.learn(6, null, false);
  book.learn(7, { pid: 9, name: "nginx" }, true);
  deepStrictEqual([book.has(6), book.ownerOf(socket(7))?.pid], [true, 9]);
});

Deno.test("createOwnerBook() takeHints() takes a tracer's owner only for sockets whose owner is not known", () => {
  const book = createOwnerBook();
  book.setOwner(1, { pid: 42, name: "curl" });
  const asked: number[] = [];
  const ownersBefore = book.ownersSet;
  book.takeHints([socket(1), socket(2), socket(3)], (s) => {
    asked.push(s.inode!);
    return s.inode === 2 ? { pid: 8, name: "wget" } : undefined;
  });
  deepStrictEqual([asked, book.ownerOf(socket(2))?.name, book.has(3), book.ownersSet - ownersBefore], [
    [2, 3],
    "wget",
    false,
    1,
  ]);
});
