/**
 * The hostile-input campaign's runner: seeded, bounded by a count of inputs
 * (never by the clock), and reproducible. A failure names the seed and the
 * input's number; `FUZZ_SEED=N deno test -A tests/fuzz/` replays another
 * campaign, `FUZZ_SCALE=10` runs ten times as many inputs.
 */

/** Controls every class of input the campaign makes. */
export const CONTROLS = [
  "\x1b[2J",
  "\x1b]0;owned\x07",
  "\x1b[31m",
  "\x9b31m",
  "\x85",
  "\x07",
  "\x00",
  "\x08\x08",
  "\r",
  "\n",
  "\t",
  "\x7f",
  "\u202e",
  "\u202d",
  "\u2066",
  "\u2069",
  "\x1bP+q\x1b\\",
];

/** A seeded source of choices (mulberry32). */
export class Fuzz {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Random text: printable ASCII, controls, bidi, astral and lone surrogates. */
  text(maxLength = 24): string {
    let out = "";
    const length = this.int(maxLength + 1);
    while (out.length < length) {
      const roll = this.int(10);
      if (roll < 5) out += String.fromCharCode(32 + this.int(95));
      else if (roll < 8) out += this.pick(CONTROLS);
      else if (roll < 9) out += String.fromCharCode(this.int(0x3000));
      else out += this.pick(["\ud83d\ude00", "\ud800", "é", "—", "\u0000", "\uffff"]);
    }
    return out;
  }

  /** `text` spliced into `base` at a random place. */
  splice(base: string, insert = this.text(8)): string {
    const at = this.int(base.length + 1);
    return base.slice(0, at) + insert + base.slice(at);
  }

  /** A number a hostile source might send for one that should be small. */
  number(): string {
    return this.pick([
      "0",
      "-1",
      "-5",
      "1",
      "3600",
      "99999999999",
      "99999999999999999999",
      "1e308",
      "-1e308",
      "NaN",
      "Infinity",
      "0x10",
      "1.5",
      "",
      " ",
      "2147483648",
      "9007199254740993",
      String(this.int(2 ** 31)),
      this.text(6),
    ]);
  }

  /** A real text with random damage: bytes flipped, lines cut, doubled, spliced with controls. */
  mutate(text: string, edits = 1 + this.int(6)): string {
    let out = text;
    for (let i = 0; i < edits; i++) {
      const lines = out.split("\n");
      const at = this.int(Math.max(1, lines.length));
      switch (this.int(7)) {
        case 0:
          out = this.splice(out);
          break;
        case 1:
          out = out.slice(0, this.int(out.length + 1));
          break;
        case 2:
          lines.splice(at, 0, lines[at] ?? "", lines[this.int(lines.length)] ?? "");
          out = lines.join("\n");
          break;
        case 3: {
          const line = lines[at] ?? "";
          const fields = line.split(/(\s+)/);
          const f = this.int(Math.max(1, fields.length));
          fields[f] = this.pick([
            this.number(),
            this.text(12),
            "",
            "*",
            ":::",
            "[",
            "%eth0",
            "users:((",
            '""',
          ]);
          lines[at] = fields.join("");
          out = lines.join("\n");
          break;
        }
        case 4:
          lines[at] = (lines[at] ?? "").repeat(2 + this.int(50));
          out = lines.join("\n");
          break;
        case 5:
          lines.splice(at, 1);
          out = lines.join("\n");
          break;
        default: {
          const i2 = this.int(out.length + 1);
          out = out.slice(0, i2) + String.fromCharCode(this.int(256)) + out.slice(i2 + 1);
        }
      }
    }
    return out;
  }
}

function envNumber(name: string, fallback: number): number {
  try {
    const value = Number(Deno.env.get(name));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/** The campaign's seed: fixed, so a run is reproducible; FUZZ_SEED replays another. */
export const SEED = envNumber("FUZZ_SEED", 16);

/** Inputs per class are multiplied by FUZZ_SCALE (default 1). */
export const SCALE = envNumber("FUZZ_SCALE", 1);

/**
 * Run `body` on `count` inputs (times FUZZ_SCALE) drawn from one seeded
 * source per input, so input N is the same whatever ran before it. Returns
 * how many were tried. A failure is rethrown naming the class, seed and input.
 */
export async function campaign(
  name: string,
  count: number,
  body: (fuzz: Fuzz, index: number) => void | Promise<void>,
): Promise<number> {
  const total = Math.round(count * SCALE);
  for (let i = 0; i < total; i++) {
    const fuzz = new Fuzz(SEED * 1_000_003 + i * 7919 + name.length);
    try {
      await body(fuzz, i);
    } catch (error) {
      throw new Error(`${name}: input ${i} of seed ${SEED} failed (FUZZ_SEED=${SEED} replays it)`, {
        cause: error,
      });
    }
  }
  return total;
}
