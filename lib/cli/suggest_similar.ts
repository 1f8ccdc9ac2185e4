/**
 * "Did you mean …?" after an unknown flag or command: the candidates within
 * three edits (optimal string alignment distance) and 40% similar, the closest
 * ones only, as the command line always suggested them.
 *
 * @module
 */

import { compareText } from "../model/text_order.ts";

const MAX_DISTANCE = 3;

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The suggestion to append to an error about `word` (empty when nothing is close).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { suggestSimilar } from "./suggest_similar.ts";
 * deepStrictEqual(suggestSimilar("--formt", ["--format", "--port"]), "\n(Did you mean --format?)");
 * deepStrictEqual(suggestSimilar("snapshto", ["snapshot", "serve"]), "\n(Did you mean snapshot?)");
 * deepStrictEqual(suggestSimilar("--zzz", ["--format"]), "");
 * ```
 */
export function suggestSimilar(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  let unique = [...new Set(candidates)];
  const options = word.startsWith("--");
  if (options) {
    word = word.slice(2);
    unique = unique.map((candidate) => candidate.slice(2));
  }
  let similar: string[] = [];
  let best = MAX_DISTANCE;
  for (const candidate of unique) {
    if (candidate.length <= 1) continue;
    const distance = editDistance(word, candidate);
    const length = Math.max(word.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [candidate];
    } else if (distance === best) {
      similar.push(candidate);
    }
  }
  similar.sort(compareText);
  if (options) similar = similar.map((candidate) => `--${candidate}`);
  if (similar.length > 1) return `\n(Did you mean one of ${similar.join(", ")}?)`;
  if (similar.length === 1) return `\n(Did you mean ${similar[0]}?)`;
  return "";
}
