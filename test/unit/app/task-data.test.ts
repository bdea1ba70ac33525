import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { trainOptions } from '../../../engine/service/runs.ts';
import { emptyDocument } from '../../../engine/graph/edits/apply-edit.ts';
import { initialState, reducer } from '../../../renderer/src/state/reducer.ts';
import {
  DOCUMENT_TASKS,
  dataForTask,
  declaredTaskFix,
  vocabFix,
} from '../../../renderer/src/task-data.ts';

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
    assert.deepEqual(dataForTask('seq2seq-reverse'), {
      source: 'task',
      task: 'seq2seq',
      values: { task: 'reverse' },
    });
    assert.deepEqual(dataForTask('seq2seq-sort'), {
      source: 'task',
      task: 'seq2seq',
      values: { task: 'sort' },
    });
    assert.equal(dataForTask('seq2seq-shuffle'), null);
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

describe('the vocabulary hint names the fix for the case', () => {
  it('sends a task model back to its task, and grows V for a language model', () => {
    assert.equal(vocabFix('sudoku-4x4', 6, 5, false), null, 'V fits');
    assert.deepEqual(vocabFix('sudoku-4x4', 6, 86, false), {
      fix: 'task',
      task: 'sudoku-4x4',
      v: 6,
      needed: 86,
    });
    assert.deepEqual(vocabFix('causal-lm', 64, 86, false), { fix: 'dim', v: 64, needed: 86 });
    assert.deepEqual(vocabFix(undefined, 96, 300, true), { fix: 'dim', v: 96, needed: 300 });
    assert.equal(vocabFix(undefined, 300, 300, true), null);
    assert.equal(vocabFix('sudoku-4x4', 'V', 86, false), null, 'no number, no hint');
  });
});

describe('a resize-the-graph failure on a task model names its task instead', () => {
  const failure =
    'The head main/supervise/answer predicts 6 classes but the data "brown" has a vocabulary of 86; set the graph\'s V to 86.';
  it('rewrites the advice while other data is chosen', () => {
    assert.deepEqual(declaredTaskFix(failure, 'sudoku-4x4', false), {
      text: 'The head main/supervise/answer predicts 6 classes but the data "brown" has a vocabulary of 86. This model is made for sudoku-4x4 (its meta.task): train it on that, not on other data.',
      task: 'sudoku-4x4',
    });
  });
  it('keeps the engine’s advice on the declared data, without a task, or for other failures', () => {
    assert.equal(declaredTaskFix(failure, 'sudoku-4x4', true), null);
    assert.equal(declaredTaskFix(failure, undefined, false), null);
    assert.equal(declaredTaskFix('Loss became NaN at step 3.', 'sudoku-4x4', false), null);
  });
});

describe('the document panel’s Task choice', () => {
  it('offers only tasks the Train panel can open on', () => {
    const options = trainOptions();
    for (const { id } of DOCUMENT_TASKS) {
      const choice = dataForTask(id);
      assert.ok(choice, id);
      if (choice.source !== 'task') continue;
      assert.ok(Object.hasOwn(options.tasks, choice.task), id);
      // Each value the choice fills in is an option of that task, and one it accepts.
      const tasks: Record<string, Record<string, unknown>> = options.tasks;
      const props = tasks[choice.task]!.properties as Record<string, { enum?: unknown[] }>;
      for (const [key, value] of Object.entries(choice.values)) {
        const enums = props[key]?.enum?.map(String);
        assert.ok(props[key], `${id}: ${choice.task} has no option ${key}`);
        if (enums) assert.ok(enums.includes(value), `${id}: ${key} ${value} not in ${enums}`);
      }
    }
  });
  it('sets and clears meta.task as one undoable edit', () => {
    let s = initialState(emptyDocument());
    s = reducer(s, { type: 'edit', edit: { type: 'setTask', task: 'sudoku-4x4' } });
    assert.equal(s.doc.meta?.task, 'sudoku-4x4');
    s = reducer(s, { type: 'edit', edit: { type: 'setTask', task: undefined } });
    assert.equal(s.doc.meta?.task, undefined);
    s = reducer(s, { type: 'undo' });
    assert.equal(s.doc.meta?.task, 'sudoku-4x4');
    s = reducer(s, { type: 'undo' });
    assert.equal(s.doc.meta, undefined);
  });
});
