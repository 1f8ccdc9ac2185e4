import { deepStrictEqual } from "node:assert/strict";
import { thousands } from "../../lib/model/thousands.ts";

Deno.test('thousands() writes what toLocaleString("en") writes for whole numbers', () => {
  const numbers = [0, 7, 999, 1000, 1234, 10_000, 999_999, 1_000_000, 12_345_678, -1, -1234, -1_234_567];
  deepStrictEqual(numbers.map(thousands), numbers.map((n) => n.toLocaleString("en")));
});
