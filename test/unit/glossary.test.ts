import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from '../../engine/cli/main.ts';
import { EXPORT_OPTIONS } from '../../engine/cli/commands/export.ts';
import { ExportPrecision } from '../../engine/contract/api.ts';
import { GLOSSARY, type GlossaryKind } from '../../engine/contract/glossary.ts';
import {
  closestTerms,
  entryId,
  findEntries,
  paramEntry,
  searchGlossary,
} from '../../engine/contract/glossary-lookup.ts';
import { nodeKinds } from '../../engine/graph/nodes/index.ts';
import { PRECISIONS } from '../../engine/onnx/emit.ts';
import { TrainConfig } from '../../engine/train/config.ts';

const FILE = 'engine/contract/glossary.ts';
const terms = (kind: GlossaryKind) => GLOSSARY.filter((e) => e.kind === kind).map((e) => e.term);

/** Names the code defines that the glossary does not explain, and entries for names it lacks. */
function compare(kind: GlossaryKind, names: readonly string[]) {
  const have = new Set(terms(kind));
  return {
    missing: names.filter((n) => !have.has(n)),
    stale: [...have].filter((t) => !names.includes(t)),
  };
}

const kindParams = new Map(nodeKinds.map((k) => [k.kind, Object.keys(k.params.shape)]));

describe('glossary coverage', () => {
  it('explains every registered node kind', () => {
    const { missing, stale } = compare(
      'node',
      nodeKinds.map((k) => k.kind),
    );
    assert.deepEqual(missing, [], `node kinds without a glossary entry in ${FILE}`);
    assert.deepEqual(stale, [], `glossary node entries naming no registered kind`);
  });

  it('explains every TrainConfig field', () => {
    const { missing, stale } = compare('train', Object.keys(TrainConfig.shape));
    assert.deepEqual(missing, [], `TrainConfig fields without a glossary entry in ${FILE}`);
    assert.deepEqual(stale, [], `glossary train entries naming no TrainConfig field`);
  });

  it('explains every export option and precision', () => {
    const names = [
      ...new Set([...Object.keys(EXPORT_OPTIONS), ...PRECISIONS, ...ExportPrecision.options]),
    ];
    const { missing, stale } = compare('export', names);
    assert.deepEqual(missing, [], `export options without a glossary entry in ${FILE}`);
    assert.deepEqual(stale, [], `glossary export entries naming no export option`);
  });

  it('names only real node parameters in params', () => {
    const wrong: string[] = [];
    for (const e of GLOSSARY) {
      for (const ref of e.params ?? []) {
        const [kind = '', param = ''] = ref.split('.');
        const real =
          kind === '*'
            ? [...kindParams.values()].some((ps) => ps.includes(param))
            : (kindParams.get(kind)?.includes(param) ?? false);
        if (!real) wrong.push(`${entryId(e)} → ${ref}`);
      }
    }
    assert.deepEqual(wrong, [], 'params naming no parameter of a registered kind');
  });

  it('gives every node parameter one entry to show', () => {
    const claimed = new Map<string, string[]>();
    for (const e of GLOSSARY)
      for (const ref of e.params ?? []) claimed.set(ref, [...(claimed.get(ref) ?? []), e.term]);
    const twice = [...claimed].filter(([, by]) => by.length > 1).map(([ref]) => ref);
    assert.deepEqual(twice, [], 'parameters claimed by two entries (the "?" shows only one)');
    for (const [kind, params] of kindParams)
      for (const p of params) assert.ok(paramEntry(kind, p), `${kind}.${p} has nothing to show`);
  });

  it('keeps each entry whole: unique, a one-line definition, every text filled', () => {
    const ids = GLOSSARY.map(entryId);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      'entries defined twice',
    );
    for (const e of GLOSSARY) {
      for (const text of [e.title, e.definition, e.whyItMatters, e.typical])
        assert.ok(text.trim().length > 0, `${entryId(e)} has an empty text`);
      assert.ok(!/\n/.test(e.definition), `${entryId(e)}: the definition is one line`);
      assert.ok(e.definition.length <= 200, `${entryId(e)}: the definition is one line long`);
    }
  });
});

describe('glossary lookup', () => {
  it('finds a term however it is spelt, and every entry of a shared name', () => {
    assert.deepEqual(findEntries('halt-weight').map(entryId), ['train:haltWeight']);
    assert.deepEqual(findEntries('N_sup').map(entryId), ['concept:deep-supervision']);
    assert.deepEqual(findEntries('dropout').map(entryId), ['node:dropout', 'train:dropout']);
    assert.deepEqual(findEntries('train:dropout').map(entryId), ['train:dropout']);
    assert.deepEqual(findEntries('no such thing'), []);
  });

  it('names the closest terms to a misspelt one', () => {
    assert.equal(closestTerms('atention')[0], 'attention');
    assert.ok(closestTerms('quantisation').includes('quantization'));
  });

  it('shows a parameter its own concept, else its node kind', () => {
    assert.equal(paramEntry('attention', 'rope')?.term, 'rope');
    assert.equal(paramEntry('attention', 'width')?.term, 'model-width');
    assert.equal(paramEntry('recursion', 'deepSupervision')?.term, 'deep-supervision');
    assert.equal(paramEntry('halting-head', 'initBias')?.term, 'halting-head');
  });

  it('ranks names before mentions in a search', () => {
    assert.equal(searchGlossary('rope')[0]?.term, 'rope');
    assert.equal(searchGlossary('deep sup')[0]?.term, 'deep-supervision');
    assert.equal(searchGlossary('').length, GLOSSARY.length);
  });
});

describe('trm explain', () => {
  async function trm(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { log: (s) => out.push(s), error: (s) => err.push(s) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('prints the entry: definition, formula, why it matters, typical values', async () => {
    const r = await trm('explain', 'stable-max');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^loss — Loss function \(trainer setting\)/);
    for (const label of ['Formula:', 'Why it matters:', 'Typical:'])
      assert.ok(r.out.includes(label));
    assert.ok(r.out.includes('1/(1 − x)'));
  });

  it('answers an unknown term in one sentence naming the closest', async () => {
    const r = await trm('explain', 'atention');
    assert.equal(r.code, 1);
    assert.equal(r.err.split('\n').length, 1);
    assert.match(r.err, /no entry is called "atention"; the closest are attention, /);
  });

  it('lists every term without one', async () => {
    const r = await trm('explain');
    assert.equal(r.code, 0);
    for (const e of GLOSSARY) assert.match(r.out, new RegExp(`^  ${e.term} `, 'm'));
  });
});
