/**
 * The CLI's one argument parser: Node's `util.parseArgs` (strict: unknown options and stray positionals are
 * refused) with every option a string, and typed readers that turn a bad value into a `UsageError`. A usage
 * error prints the command's usage and exits with code 2; `--help` throws an empty one (exit code 0).
 */
import { parseArgs } from 'node:util';

/** A usage error: the CLI prints it with the usage text and exits with code 2. */
export class UsageError extends Error {}

export interface CommandLine {
  /** The raw value of `--name`, or undefined when absent. */
  get(name: string): string | undefined;
  /** Whether the boolean switch `--name` was given. */
  has(name: string): boolean;
}

/**
 * Parses the arguments after the command word: `options` take a value (`--x v` or `--x=v`), `switches` take none.
 * `--help` / `-h` throws an empty UsageError.
 */
export function parseCommandLine(args: string[], options: readonly string[], switches: readonly string[] = []): CommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(options.map((n) => [n, { type: 'string' as const }])),
        ...Object.fromEntries(switches.map((n) => [n, { type: 'boolean' as const }])),
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (values.help) throw new UsageError('');
  return {
    get(name) {
      const v = values[name];
      if (v === '') throw new UsageError(`option --${name} needs a value`);
      return typeof v === 'string' ? v : undefined;
    },
    has: (name) => values[name] === true,
  };
}

/** `--name` as a list of numbers, each passing `ok` (described by `what`); undefined when absent. */
export function numbersOf(c: CommandLine, name: string, ok: (n: number) => boolean, what: string): number[] | undefined {
  const v = c.get(name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim()), out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !(Number.isFinite(n) && ok(n)))) throw new UsageError(`--${name} must be ${what}, got "${v}"`);
  return out;
}

/** `--name` as one number passing `ok`; undefined when absent. */
export function numberOf(c: CommandLine, name: string, ok: (n: number) => boolean, what: string): number | undefined {
  const n = numbersOf(c, name, ok, what);
  if (n !== undefined && n.length !== 1) throw new UsageError(`--${name} must be ${what}, got "${c.get(name)}"`);
  return n?.[0];
}

/** Accepts integers ≥ min. */
export const intAtLeast = (min: number) => (n: number): boolean => Number.isInteger(n) && n >= min;
