/**
 * Order two strings by their UTF-16 code units, as `<` does: uppercase before lowercase, ASCII before the rest.
 * Conntrail sorts labels, hosts and flag names with this, not `localeCompare`: that call loads ICU's collator
 * (measured +3 to 4 MiB of resident memory for one call in an empty `deno run`), and serve's live view sorted its
 * rows with it on every update. Every label it orders (a process name, an address, a protocol, a flag) is ASCII or
 * close to it, where the two orders differ only between upper and lower case.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { compareText } from "./text_order.ts";
 * deepStrictEqual(["sshd", "Xorg", "curl", "chrome"].sort(compareText), ["Xorg", "chrome", "curl", "sshd"]);
 * ```
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
