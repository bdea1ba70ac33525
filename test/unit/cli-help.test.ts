import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';

async function help(...argv: string[]): Promise<string> {
  const out: string[] = [];
  await main([...argv, '--help'], { log: (s) => out.push(s), error: (s) => out.push(s) });
  return out.join('\n');
}

/** README's CLI part: from "## Running" to the next section. */
const readme = (() => {
  const text = readFileSync('README.md', 'utf8');
  const from = text.indexOf('## Running');
  return text.slice(from, text.indexOf('\n## ', from + 1));
})();

/** Each `npx trm COMMAND …` code span of the README, with the flags it names. */
function readmeCommands(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const [, span] of readme.matchAll(/`npx trm ([^`]+)`/g)) {
    const command = span!.split(/\s/)[0]!;
    const flags = found.get(command) ?? new Set<string>();
    for (const [flag] of span!.matchAll(/--[a-z][\w-]*/g)) flags.add(flag);
    found.set(command, flags);
  }
  // Flags quoted on their own in a command's bullet (`--max-top1-drop`) belong to it too.
  for (const bullet of readme.split(/\n- /)) {
    const command = /^`npx trm (\w+)/.exec(bullet)?.[1];
    if (!command) continue;
    for (const [, flag] of bullet.matchAll(/`(--[a-z][\w-]*)[ `]/g)) found.get(command)!.add(flag!);
  }
  return found;
}

describe('trm --help and the README', () => {
  it('name the same commands', async () => {
    const usage = await help();
    const listed = [...usage.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).sort();
    assert.deepEqual([...readmeCommands().keys()].sort(), listed);
  });

  it("every flag the README gives a command is in that command's --help", async () => {
    for (const [command, flags] of readmeCommands()) {
      const text = await help(command);
      for (const flag of flags)
        assert.ok(text.includes(flag), `README gives trm ${command} ${flag}; its --help does not`);
    }
  });

  it("every flag of a command's --help is in the README's line for it", async () => {
    for (const command of ['train', 'eval', 'export', 'generate', 'solve', 'diff', 'prune']) {
      const text = await help(command);
      const flags = [...text.matchAll(/^ {2}(--[a-z][\w-]*)/gm)].map((m) => m[1]!);
      const named = readmeCommands().get(command)!;
      const missing = flags.filter((f) => !named.has(f));
      assert.deepEqual(missing, [], `trm ${command}: flags the README does not mention`);
    }
  });
});
