import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelCache } from './model-cache.ts';

class Fake {
  disposed = 0;
  constructor(readonly name: string) {}
  dispose() {
    this.disposed++;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('ModelCache', () => {
  it('loads once per key and evicts the least recently used beyond capacity', async () => {
    const cache = new ModelCache<Fake>(2);
    const made: Fake[] = [];
    const load = (name: string) => async () => {
      const f = new Fake(name);
      made.push(f);
      return f;
    };
    const a = await cache.acquire('a', load('a'));
    a.release();
    (await cache.acquire('b', load('b'))).release();
    // Using a again makes b the least recently used.
    const again = await cache.acquire('a', load('a2'));
    assert.equal(again.model, a.model);
    again.release();
    (await cache.acquire('c', load('c'))).release();
    await settle();
    assert.deepEqual(cache.keys(), ['a', 'c']);
    assert.deepEqual(
      made.map((f) => [f.name, f.disposed]),
      [
        ['a', 0],
        ['b', 1],
        ['c', 0],
      ],
    );
  });

  it('disposes an evicted model only when its last user releases it, and only once', async () => {
    const cache = new ModelCache<Fake>(1);
    const held = await cache.acquire('a', async () => new Fake('a'));
    (await cache.acquire('b', async () => new Fake('b'))).release();
    await settle();
    assert.equal(held.model.disposed, 0, 'still in use');
    held.release();
    held.release();
    await settle();
    assert.equal(held.model.disposed, 1);
  });

  it('does not keep a failed load', async () => {
    const cache = new ModelCache<Fake>(2);
    await assert.rejects(
      cache.acquire('a', async () => {
        throw new Error('no such file');
      }),
      /no such file/,
    );
    assert.deepEqual(cache.keys(), []);
    const ok = await cache.acquire('a', async () => new Fake('a'));
    assert.equal(ok.model.name, 'a');
    cache.clear();
    assert.equal(ok.model.disposed, 0);
    ok.release();
    await settle();
    assert.equal(ok.model.disposed, 1);
  });
});
