/**
 * Typed reads of the values the parser read for one command (its
 * `Record<string, unknown>`), so a command's options are built field by field
 * with their types checked, instead of cast. A value of the wrong type is a
 * bug in the command's definition: a `TypeError`, not a usage error.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { OptionValues } from "./option_values.ts";
 * const values = new OptionValues({ db: "h.db", limit: 5, list: true });
 * deepStrictEqual(
 *   [values.optionalString("db"), values.number("limit"), values.boolean("list"), values.optionalNumber("pid")],
 *   ["h.db", 5, true, undefined],
 * );
 * ```
 */
export class OptionValues {
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #read = new Set<string>();

  /**
   * `declared`: the command's option names (`timeUnit` for `--time-unit`). Given,
   * reading any other name is a `TypeError`, so a misspelt or borrowed name fails
   * at the first parse instead of reading as "not given" forever.
   */
  constructor(raw: Readonly<Record<string, unknown>>, declared?: readonly string[]) {
    this.#raw = new Proxy(raw, {
      get: (target, name: string) => {
        if (declared !== undefined && !declared.includes(name)) {
          throw new TypeError(`"${name}" is not an option of this command (it has ${declared.join(", ")})`);
        }
        this.#read.add(name);
        return target[name];
      },
    });
  }

  /**
   * Say that every value the parser read was read: a flag added to a command
   * but not to its options would otherwise be dropped without a word.
   */
  done(): void {
    const unread = Object.keys(this.#raw).filter((name) => !this.#read.has(name));
    if (unread.length > 0) throw new TypeError(`options parsed but not read: ${unread.join(", ")}`);
  }

  #wrong(name: string, what: string): never {
    throw new TypeError(`--${name} should be ${what}, not ${JSON.stringify(this.#raw[name])}`);
  }

  /** A value with a default, or a required option. */
  string(name: string): string {
    const value = this.#raw[name];
    return typeof value === "string" ? value : this.#wrong(name, "a string");
  }

  optionalString(name: string): string | undefined {
    return this.#raw[name] === undefined ? undefined : this.string(name);
  }

  number(name: string): number {
    const value = this.#raw[name];
    return typeof value === "number" ? value : this.#wrong(name, "a number");
  }

  optionalNumber(name: string): number | undefined {
    return this.#raw[name] === undefined ? undefined : this.number(name);
  }

  /** A switch: absent is false. */
  boolean(name: string): boolean {
    const value = this.#raw[name] ?? false;
    return typeof value === "boolean" ? value : this.#wrong(name, "true or false");
  }

  /** One of `choices` (the parser has checked the option's choices already). */
  choice<T extends string>(name: string, choices: readonly T[]): T {
    const value = this.#raw[name];
    return isOneOf(choices, value) ? value : this.#wrong(name, choices.join(", "));
  }

  optionalChoice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    return this.#raw[name] === undefined ? undefined : this.choice(name, choices);
  }

  /** A repeatable option: every value given. */
  strings(name: string): string[] {
    const value = this.#raw[name] ?? [];
    return Array.isArray(value) && value.every((v) => typeof v === "string")
      ? [...value]
      : this.#wrong(name, "a list of strings");
  }

  /** A repeatable option of fixed choices: every value given. */
  choiceList<T extends string>(name: string, choices: readonly T[]): T[] {
    return this.strings(name).map((value) =>
      isOneOf(choices, value) ? value : this.#wrong(name, choices.join(", "))
    );
  }

  /** A repeatable option whose parser builds values of its own type, each checked by `is`. */
  list<T>(name: string, is: (value: unknown) => value is T, what: string): T[] {
    const value = this.#raw[name] ?? [];
    return Array.isArray(value) && value.every(is) ? [...value] : this.#wrong(name, what);
  }
}

/**
 * Whether `value` is one of `choices`: narrows a string typed on the command
 * line to its union type without a cast.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isOneOf } from "./option_values.ts";
 * deepStrictEqual([isOneOf(["tcp", "udp"], "udp"), isOneOf(["tcp", "udp"], "icmp"), isOneOf(["tcp"], 6)], [true, false, false]);
 * ```
 */
export function isOneOf<T extends string>(choices: readonly T[], value: unknown): value is T {
  return choices.some((choice) => choice === value);
}

/**
 * The positional arguments parsed for a command, read typed: a
 * value of the wrong type is a bug in the command's definition.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ArgumentValues } from "./option_values.ts";
 * const args = new ArgumentValues([["203.0.113.9", "example.com"], 7]);
 * deepStrictEqual([args.strings(0), args.optionalNumber(1), args.optionalString(2)], [["203.0.113.9", "example.com"], 7, undefined]);
 * ```
 */
export class ArgumentValues {
  readonly #args: readonly unknown[];

  constructor(args: readonly unknown[]) {
    this.#args = args;
  }

  #wrong(index: number, what: string): never {
    throw new TypeError(`argument ${index + 1} should be ${what}, not ${JSON.stringify(this.#args[index])}`);
  }

  optionalString(index: number): string | undefined {
    const value = this.#args[index];
    return value === undefined || typeof value === "string" ? value : this.#wrong(index, "a string");
  }

  optionalNumber(index: number): number | undefined {
    const value = this.#args[index];
    return value === undefined || typeof value === "number" ? value : this.#wrong(index, "a number");
  }

  /** A variadic argument (`<targets...>`, `[names...]`): every value given. */
  strings(index: number): string[] {
    const value = this.#args[index] ?? [];
    return Array.isArray(value) && value.every((v) => typeof v === "string")
      ? [...value]
      : this.#wrong(index, "a list of strings");
  }
}
