import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bfs, dihedral, generateMaze, MazeToken } from './maze.ts';
import { Rng } from './rng.ts';

function checkSolved(input: Uint8Array, target: Uint8Array, size: number): number {
  const start = input.indexOf(MazeToken.start);
  const goal = input.indexOf(MazeToken.goal);
  const { dist } = bfs(input, size, start);
  const marked = target.filter((t) => t === MazeToken.path).length;
  assert.equal(marked + 1, dist[goal]);
  const pathOnly = target.map((t) => (t === MazeToken.open ? MazeToken.wall : t));
  assert.equal(
    bfs(pathOnly, size, start).dist[goal],
    dist[goal],
    'marks form a connected shortest path',
  );
  return dist[goal] as number;
}

describe('maze', () => {
  it('BFS counts distances and shortest paths on a hand-made grid', () => {
    // 3×3 open room, walls around: from the top-left corner to the bottom-right, 4 steps, 6 ways (capped at 2).
    const g = (rows: string[]) =>
      Uint8Array.from(rows.join(''), (ch) => (ch === '#' ? MazeToken.wall : MazeToken.open));
    const room = g(['#####', '#   #', '#   #', '#   #', '#####']);
    const { dist, ways } = bfs(room, 5, 6);
    assert.equal(dist[18], 4);
    assert.equal(ways[18], 2);
    assert.equal(ways[8], 1);
    assert.equal(dist[0], -1);
  });

  it('perfect mazes (no loops) always have a unique shortest path of at least minPath', () => {
    for (let i = 0; i < 20; i++) {
      const maze = generateMaze(30, Rng.of(1, i), 110, 0);
      const start = maze.input.indexOf(MazeToken.start);
      const goal = maze.input.indexOf(MazeToken.goal);
      assert.equal(bfs(maze.input, 30, start).ways[goal], 1);
      assert.ok(checkSolved(maze.input, maze.target, 30) >= 110);
    }
  });

  it('mazes with loops still mark a shortest path, unique in most cases', () => {
    let unique = 0;
    for (let i = 0; i < 50; i++) {
      const maze = generateMaze(15, Rng.of(2, i), 15, 0.3);
      checkSolved(maze.input, maze.target, 15);
      const start = maze.input.indexOf(MazeToken.start);
      if (bfs(maze.input, 15, start).ways[maze.input.indexOf(MazeToken.goal)] === 1) unique++;
    }
    assert.ok(unique >= 45, `${unique} of 50 unique`);
  });

  it('the 8 symmetries are distinct, invertible, and keep the marked path shortest', () => {
    const maze = generateMaze(11, Rng.of(3), 11, 0.1);
    const images = new Set<string>();
    for (let k = 0; k < 8; k++) {
      const input = dihedral(maze.input, 11, k);
      const target = dihedral(maze.target, 11, k);
      images.add(input.join(''));
      checkSolved(input, target, 11);
    }
    assert.equal(images.size, 8);
    // Transpose and the flips are involutions.
    for (const k of [1, 2, 4])
      assert.deepEqual(dihedral(dihedral(maze.input, 11, k), 11, k), maze.input);
  });
});
