import { deepStrictEqual } from "node:assert/strict";
import { compareText } from "../../lib/model/text_order.ts";

Deno.test("compareText orders by code units, equal strings as equal", () => {
  const labels = ["sshd", "10.0.0.2", "Xorg", "curl", "", "chrome", "10.0.0.10", "curl", "é-app", "Z"];
  deepStrictEqual(labels.sort(compareText), [
    "",
    "10.0.0.10",
    "10.0.0.2",
    "Xorg",
    "Z",
    "chrome",
    "curl",
    "curl",
    "sshd",
    "é-app",
  ]);
  deepStrictEqual([compareText("a", "a"), compareText("a", "b"), compareText("b", "a")], [0, -1, 1]);
});
