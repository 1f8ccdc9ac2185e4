import { ipWords } from "./ip_words.ts";

const words = new Uint32Array(4);

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/**
 * A key that sorts addresses in numeric order with a plain string comparison:
 * IPv4 before IPv6, each by its number (127.20.0.2 before 127.20.0.100,
 * `2001:db8::2` before `2001:db8::10`); IPv4-mapped IPv6 counts as IPv4. Text
 * that is not an address sorts after every address, as text.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { addressOrderKey } from "./address_order.ts";
 * const ips = ["2001:db8::10", "127.20.0.100", "host.example", "2001:db8::2", "127.20.0.2", "::ffff:10.0.0.1"];
 * deepStrictEqual(ips.sort((a, b) => addressOrderKey(a) < addressOrderKey(b) ? -1 : 1),
 *   ["::ffff:10.0.0.1", "127.20.0.2", "127.20.0.100", "2001:db8::2", "2001:db8::10", "host.example"]);
 * ```
 */
export function addressOrderKey(ip: string): string {
  switch (ipWords(ip, words)) {
    case 4:
      return "4" + hex8(words[0] ?? 0);
    case 6:
      return "6" + hex8(words[0] ?? 0) + hex8(words[1] ?? 0) + hex8(words[2] ?? 0) + hex8(words[3] ?? 0);
    default:
      return "9" + ip;
  }
}
