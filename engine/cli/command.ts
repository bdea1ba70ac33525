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
 * Parse a sub-command's arguments with `-h/--help` added. Returns the exit code instead
 * when the command is done already: 2 after a usage error (printed with the usage), 0 after
 * printing the usage for --help.
 */
export function parseCommand<O extends Record<string, OptionSpec>>(
  argv: string[],
  options: O,
  usage: string,
  out: Out,
): { values: Values<O>; positionals: string[] } | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
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
