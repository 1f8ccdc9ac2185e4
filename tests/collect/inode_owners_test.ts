import { deepStrictEqual } from "node:assert/strict";
import { type InodeOwner, InodeOwners } from "../../lib/collect/inode_owners.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { InodeMemory } from "../../lib/model/inode_memory.ts";
import { RememberedSocket } from "../../lib/model/remembered_socket.ts";

/** A reader's remembered socket, stamped by its memory's passes (as the dump's are). */
class Kept extends RememberedSocket {
  seen: number;
  constructor(inode: number, seen: number) {
    super("TCP", 4, "10.0.0.2", inode, "10.0.0.9", 443, "ESTABLISHED", null, inode, false);
    this.seen = seen;
  }
}

/** A socket no reader remembers (UDP's text, a walk's listener). */
function plain(inode: number): Socket {
  return {
    protocol: "UDP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: inode,
    remote_ip: null,
    remote_port: null,
    status: "UNCONNECTED",
    pid: null,
    process_name: null,
    process_path: null,
    user: null,
    inode,
  };
}

/** What the collector kept before: a Map by inode of `{ owner, listedAt }`. */
class MapOwners {
  readonly map = new Map<number, { owner: InodeOwner; listedAt: number }>();
  of(inode: number) {
    return this.map.get(inode)?.owner;
  }
  listedAt(inode: number) {
    return this.map.get(inode)?.listedAt;
  }
  set(inode: number, owner: InodeOwner, listedAt: number) {
    this.map.set(inode, { owner, listedAt });
  }
  list(inode: number, reading: number) {
    const entry = this.map.get(inode);
    if (entry === undefined) return false;
    if (entry.listedAt < reading) entry.listedAt = reading;
    return true;
  }
  forgetUnlisted(reading: number) {
    this.map.forEach((entry, inode) => {
      if (entry.listedAt < reading) this.map.delete(inode);
    });
  }
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OWNERS: InodeOwner[] = [{ pid: null, name: null }, { pid: 1, name: "a" }, { pid: 2, name: "b" }];

Deno.test("InodeOwners keeps the owners a Map by inode keeps, through sockets read, replaced, held back and forgotten", () => {
  const counts = { replaced: 0, forgotten: 0, heldNamed: 0, missedListed: 0, swept: 0, twice: 0 };
  for (let seed = 1; seed <= 200; seed++) {
    const chance = random(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(chance() * list.length)]!;
    const memory = new InodeMemory<Kept>((socket, inode) => {
      if (RememberedSocket.ownerOf(socket) !== undefined) counts.forgotten++;
      owners.forgotten(socket, inode);
    });
    // The memory's callback runs only once a reading forgets a socket, after this line.
    const owners: InodeOwners = new InodeOwners(memory);
    const map = new MapOwners();
    const tcp = Array.from({ length: 24 }, (_, i) => 100 + i);
    const udp = Array.from({ length: 6 }, (_, i) => 900 + i);
    const walk = (reading: number) => {
      const inode = pick([...tcp, ...udp]);
      const owner = pick(OWNERS);
      const at = Math.max(map.listedAt(inode) ?? 0, chance() < 0.5 ? reading : 0);
      owners.set(inode, owner, at);
      map.set(inode, owner, at);
    };
    const same = (where: string) => {
      for (const inode of [...tcp, ...udp]) {
        deepStrictEqual(
          [owners.ofInode(inode), owners.listedAt(inode), owners.has(inode)],
          [map.of(inode), map.listedAt(inode), map.of(inode) !== undefined],
          `seed ${seed}, ${where}, inode ${inode}`,
        );
      }
    };
    for (let reading = 1; reading <= 30; reading++) {
      // The reader's pass: each listed inode kept, or read afresh (what the layers keep carried over); a walk
      // may end in the middle of it.
      const pass = memory.begin();
      const listed = tcp.filter(() => chance() < 0.8);
      const read: Socket[] = [];
      for (const inode of listed) {
        const known = memory.get(inode);
        if (known !== undefined && chance() < 0.8) {
          memory.keep(known, pass);
          read.push(known);
        } else {
          const fresh = new Kept(inode, pass);
          if (known !== undefined) {
            RememberedSocket.carry(known, fresh);
            counts.replaced++;
          }
          memory.set(inode, fresh);
          read.push(fresh);
        }
        if (chance() < 0.05) walk(reading);
        // Now and then the dump lists an inode twice, the second time read afresh (a new state): both are read.
        if (chance() < 0.03) {
          const again = new Kept(inode, pass);
          RememberedSocket.carry(memory.get(inode)!, again);
          memory.set(inode, again);
          read.push(again);
          counts.twice++;
        }
      }
      memory.end(pass);
      same(`reading ${reading} after the pass`);
      // Sockets held back for a walk are left out; UDP and a listener the dump missed join as plain sockets.
      const held = new Set(listed.filter((inode) => map.of(inode) === undefined && chance() < 0.5));
      const sockets = read.filter((s) => !held.has(s.inode!));
      // (A socket the reader replaced within the pass keeps the inode's owner for this reading.)
      for (const inode of udp) if (chance() < 0.8) sockets.push(plain(inode));
      const missed = tcp.filter((inode) => !listed.includes(inode));
      if (missed.length > 0 && chance() < 0.3) {
        const inode = pick(missed);
        if (map.of(inode) !== undefined) counts.missedListed++;
        sockets.push(plain(inode));
      }
      for (const s of sockets) {
        deepStrictEqual(owners.of(s), map.of(s.inode!), `seed ${seed} reading ${reading}`);
      }
      // Walks that end before the reading is done (some name sockets held back).
      const walks = Math.floor(chance() * 4);
      for (let i = 0; i < walks; i++) walk(reading);
      for (const inode of held) if (map.of(inode) !== undefined) counts.heldNamed++;
      const before = map.map.size;
      for (const s of sockets) {
        deepStrictEqual(
          owners.list(s, reading),
          map.list(s.inode!, reading),
          `seed ${seed} reading ${reading}`,
        );
      }
      owners.forgetUnlisted(reading);
      map.forgetUnlisted(reading);
      counts.swept += before - map.map.size;
      same(`reading ${reading} after it`);
    }
  }
  // Each case happened, more than once.
  for (const [name, count] of Object.entries(counts)) deepStrictEqual([name, count > 10], [name, true]);
});

Deno.test("InodeOwners keeps a remembered socket's owner on the socket, not by inode", () => {
  const memory = new InodeMemory<Kept>();
  const owners = new InodeOwners(memory);
  const pass = memory.begin();
  const socket = new Kept(7, pass);
  memory.set(7, socket);
  memory.end(pass);
  owners.set(7, OWNERS[1]!, 1);
  deepStrictEqual([RememberedSocket.ownerOf(socket), RememberedSocket.ownerListedOf(socket)], [OWNERS[1], 1]);
  // Named before it was read (a walk ahead of the dump), then read: the owner moves onto the socket.
  const other = new Kept(8, pass);
  const onlyByInode = new InodeOwners(memory);
  onlyByInode.set(8, OWNERS[2]!, 1);
  deepStrictEqual(RememberedSocket.ownerOf(other), undefined);
  memory.set(8, other);
  deepStrictEqual([onlyByInode.of(other), RememberedSocket.ownerOf(other)], [OWNERS[2], OWNERS[2]]);
});
