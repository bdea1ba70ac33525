/**
 * Mazes on an N×N grid, encoded as in the TRM paper: PAD = 0, wall `#` = 1, open ` ` = 2,
 * start `S` = 3, goal `G` = 4, path `o` = 5. A maze is carved by randomized depth-first search
 * on the odd coordinates (a perfect maze), then a share of inner walls is knocked out to make
 * loops; start and goal are chosen at least `minPath` steps apart with a unique shortest path
 * whenever one exists. Pure.
 */
import type { Rng } from './rng.ts';

export const MazeToken = { pad: 0, wall: 1, open: 2, start: 3, goal: 4, path: 5 } as const;
export const MAZE_VOCAB = ['<pad>', '#', ' ', 'S', 'G', 'o'];

export interface Maze {
  size: number;
  /** [size * size] the maze without the path. */
  input: Uint8Array;
  /** [size * size] the same maze with the shortest path's inner cells marked `path`. */
  target: Uint8Array;
}

export interface BfsResult {
  /** Steps from the source, -1 where unreachable. */
  dist: Int32Array;
  /** Number of distinct shortest paths from the source, capped at 2. */
  ways: Uint8Array;
}

const STEPS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
];

/** Breadth-first search over non-wall cells (4-neighbourhood). */
export function bfs(grid: ArrayLike<number>, size: number, source: number): BfsResult {
  const dist = new Int32Array(size * size).fill(-1);
  const ways = new Uint8Array(size * size);
  const queue = new Int32Array(size * size);
  let head = 0;
  let tail = 0;
  dist[source] = 0;
  ways[source] = 1;
  queue[tail++] = source;
  while (head < tail) {
    const u = queue[head++] as number;
    const r = Math.floor(u / size);
    const c = u % size;
    for (const [dr, dc] of STEPS) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= size || cc >= size) continue;
      const v = rr * size + cc;
      if (grid[v] === MazeToken.wall || grid[v] === MazeToken.pad) continue;
      if (dist[v] === -1) {
        dist[v] = (dist[u] as number) + 1;
        ways[v] = ways[u] as number;
        queue[tail++] = v;
      } else if (dist[v] === (dist[u] as number) + 1) {
        ways[v] = Math.min(2, (ways[v] as number) + (ways[u] as number));
      }
    }
  }
  return { dist, ways };
}

function carve(size: number, rng: Rng): Uint8Array {
  const grid = new Uint8Array(size * size).fill(MazeToken.wall);
  const side = Math.floor((size - 1) / 2); // lattice cells per side, at odd coordinates
  const at = (i: number, j: number): number => (2 * i + 1) * size + (2 * j + 1);
  const seen = new Uint8Array(side * side);
  const stack: number[] = [rng.int(side * side)];
  seen[stack[0] as number] = 1;
  grid[at(Math.floor((stack[0] as number) / side), (stack[0] as number) % side)] = MazeToken.open;
  while (stack.length > 0) {
    const cell = stack[stack.length - 1] as number;
    const i = Math.floor(cell / side);
    const j = cell % side;
    const next = rng
      .shuffle([...STEPS])
      .map(([di, dj]) => [i + di, j + dj] as const)
      .find(([ni, nj]) => ni >= 0 && nj >= 0 && ni < side && nj < side && !seen[ni * side + nj]);
    if (!next) {
      stack.pop();
      continue;
    }
    const [ni, nj] = next;
    seen[ni * side + nj] = 1;
    grid[at(ni, nj)] = MazeToken.open;
    grid[(i + ni + 1) * size + (j + nj + 1)] = MazeToken.open; // the wall between the two cells
    stack.push(ni * side + nj);
  }
  return grid;
}

function knockOutWalls(grid: Uint8Array, size: number, share: number, rng: Rng): void {
  if (share <= 0) return;
  for (let r = 1; r < size - 1; r++) {
    for (let c = 1; c < size - 1; c++) {
      const i = r * size + c;
      if (grid[i] !== MazeToken.wall || r % 2 === c % 2) continue;
      // A wall between two lattice cells: horizontal neighbours open (r odd) or vertical ones (c odd).
      const joins =
        r % 2 === 1
          ? grid[i - 1] === MazeToken.open && grid[i + 1] === MazeToken.open
          : grid[i - size] === MazeToken.open && grid[i + size] === MazeToken.open;
      if (joins && rng.float() < share) grid[i] = MazeToken.open;
    }
  }
}

const START_TRIES = 20;

export function generateMaze(size: number, rng: Rng, minPath: number, loops: number): Maze {
  const grid = carve(size, rng);
  knockOutWalls(grid, size, loops, rng);
  const open: number[] = [];
  for (let i = 0; i < grid.length; i++) if (grid[i] === MazeToken.open) open.push(i);
  let best: { start: number; goal: number; dist: Int32Array; score: number } | undefined;
  for (let attempt = 0; attempt < START_TRIES; attempt++) {
    const start = open[rng.int(open.length)] as number;
    const { dist, ways } = bfs(grid, size, start);
    const unique = open.filter((g) => (dist[g] as number) >= minPath && ways[g] === 1);
    if (unique.length > 0) {
      best = { start, goal: unique[rng.int(unique.length)] as number, dist, score: Infinity };
      break;
    }
    // Fallback: the farthest cell (preferring a unique path) when no cell is minPath away.
    for (const g of open) {
      const score = (dist[g] as number) * 2 + (ways[g] === 1 ? 1 : 0);
      if (!best || score > best.score) best = { start, goal: g, dist, score };
    }
  }
  if (!best) throw new Error('unreachable: a carved maze has open cells');
  const { start, goal, dist } = best;
  const target = grid.slice();
  // Walk back from the goal along strictly decreasing distance.
  let cell = goal;
  while ((dist[cell] as number) > 1) {
    const r = Math.floor(cell / size);
    const c = cell % size;
    for (const [dr, dc] of STEPS) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= size || cc >= size) continue;
      const v = rr * size + cc;
      if (dist[v] === (dist[cell] as number) - 1) {
        cell = v;
        break;
      }
    }
    target[cell] = MazeToken.path;
  }
  grid[start] = MazeToken.start;
  grid[goal] = MazeToken.goal;
  target[start] = MazeToken.start;
  target[goal] = MazeToken.goal;
  return { size, input: grid, target };
}

/** One of the 8 symmetries of the square (k in 0..7): transpose (bit 0), flip rows (1), flip columns (2). */
export function dihedral(grid: ArrayLike<number>, size: number, k: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let r2 = k & 1 ? c : r;
      let c2 = k & 1 ? r : c;
      if (k & 2) r2 = size - 1 - r2;
      if (k & 4) c2 = size - 1 - c2;
      out[r2 * size + c2] = grid[r * size + c] as number;
    }
  }
  return out;
}
