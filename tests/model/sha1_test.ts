import { deepStrictEqual } from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha1 } from "../../lib/model/sha1.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sha1() gives the FIPS 180 example digests", () => {
  deepStrictEqual(hex(sha1(text(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  deepStrictEqual(hex(sha1(text("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  deepStrictEqual(
    hex(sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  deepStrictEqual(hex(sha1(text("a".repeat(1_000_000)))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
});

Deno.test("sha1() agrees with node:crypto on random inputs of every length across block boundaries", () => {
  for (let length = 0; length <= 200; length++) {
    const data = crypto.getRandomValues(new Uint8Array(length));
    deepStrictEqual(hex(sha1(data)), createHash("sha1").update(data).digest("hex"), `length ${length}`);
  }
});
