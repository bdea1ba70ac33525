import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { trainOptions } from '../../../engine/service/runs.ts';
import { dataForTask } from '../../../renderer/src/task-data.ts';

const TEMPLATES = join(import.meta.dirname, '../../../templates');

describe("the Train panel's data follows the document's task", () => {
  it('maps grids, sequence tasks and language models', () => {
    assert.deepEqual(dataForTask('sudoku-4x4'), {
      source: 'task',
      task: 'sudoku',
      values: { size: '4' },
    });
    assert.deepEqual(dataForTask('maze-30x30'), {
      source: 'task',
      task: 'maze',
      values: { size: '30' },
    });
    assert.deepEqual(dataForTask('causal-lm'), { source: 'corpus', corpus: 'brown' });
    assert.deepEqual(dataForTask('masked-lm'), { source: 'corpus', corpus: 'brown-mlm' });
    assert.deepEqual(dataForTask('reverse'), { source: 'task', task: 'reverse', values: {} });
    assert.equal(dataForTask('sudoku-4x9'), null);
    assert.equal(dataForTask(undefined), null);
    assert.equal(dataForTask('poetry'), null);
  });

  it("every template's task (and its presets') is one the panel offers", () => {
    const options = trainOptions();
    const corpora = new Set(options.corpora.map((c) => c.id));
    for (const file of readdirSync(TEMPLATES).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(TEMPLATES, file), 'utf8'));
      const presets = Object.values(doc.meta?.presets ?? {}) as { task?: unknown }[];
      for (const task of [doc.meta?.task, ...presets.map((p) => p.task)]) {
        if (task === undefined) continue;
        const choice = dataForTask(task);
        assert.ok(choice, `${file}: task ${String(task)} has no data choice`);
        if (choice.source === 'corpus') assert.ok(corpora.has(choice.corpus), file);
        else assert.ok(Object.hasOwn(options.tasks, choice.task), `${file}: ${choice.task}`);
      }
    }
  });
});
