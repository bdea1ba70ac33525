/** What a CLI command printed, for tests that call `main(args, out)` in-process. */
export function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    out: { log: (s: string) => lines.push(s), error: (s: string) => errors.push(s) },
    lines,
    errors,
  };
}
