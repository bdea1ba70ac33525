import { parseArgs } from 'node:util';

/** Where a command prints: the console, or a capture in tests and hosts. */
export type Out = {
  log: (s: string) => void;
  error: (s: string) => void;
  write?: (s: string) => void;
};

type OptionSpec = { type: 'string' | 'boolean'; short?: string; default?: string | boolean };

type Value<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : string;

/** Parsed values: options with a default are always present, the others may be absent. */
export type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O as O[K] extends { default: unknown } ? K : never]: Value<O[K]>;
} & {
  [K in keyof O as O[K] extends { default: unknown } ? never : K]?: Value<O[K]>;
};

/**
 * The arguments with each string option's value joined to it (`--steps -5` → `--steps=-5`), or
 * a sentence when a string option has no value. parseArgs refuses a value that starts with a
 * dash as "ambiguous"; a negative number is a value (the command checks its range and says
 * so), anything else after the flag is more likely a forgotten value.
 */
function joinValues(
  argv: string[],
  options: Record<string, OptionSpec>,
  command: string,
): string[] | string {
  const optionOf = (arg: string) =>
    Object.entries(options).find(
      ([name, o]) =>
        o.type === 'string' && (arg === `--${name}` || (o.short && arg === `-${o.short}`)),
    )?.[0];
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = optionOf(arg);
    if (name === undefined) {
      out.push(arg);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) return `${command}: ${arg} needs a value; see ${command} --help.`;
    if (value.startsWith('-') && !/^-(\d|\.\d)/.test(value))
      return `${command}: ${arg} needs a value, but "${value}" follows it. Give ${arg} a value, or write ${arg}=${value} if that is the value.`;
    out.push(`--${name}=${value}`);
    i++;
  }
  return out;
}

/**
 * Parse a sub-command's arguments with `-h/--help` added. Returns the exit code instead
 * when the command is done already: 2 after a usage error (a flag without its value in a
 * sentence, anything else with the usage), 0 after printing the usage for --help.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  argv: string[],
  options: O,
  usage: string,
  out: Out,
): { values: Values<O>; positionals: string[] } | number {
  const command = /^Usage: (trm \w+)/.exec(usage)?.[1] ?? 'trm';
  const args = joinValues(argv, options, command);
  if (typeof args === 'string') {
    out.error(args);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    out.error(`${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  // parseArgs types generic options loosely; Values<O> states what it returns for them.
  const values = parsed.values as unknown as Values<O> & { help?: boolean };
  if (values.help) {
    out.log(usage);
    return 0;
  }
  return { values, positionals: parsed.positionals };
}
