/** Mazes as a cells task (see maze.ts for the encoding): every cell of the solved grid is a target. */
import type { CellsTask } from './cells-source.ts';
import { dihedral, generateMaze, MAZE_VOCAB } from './maze.ts';
import type { MazeSpec } from './spec.ts';

export function mazeTask(spec: MazeSpec): CellsTask {
  const { size, loops, augment } = spec;
  const minPath = spec.minPath ?? size;
  return {
    name: `maze ${size}×${size}`,
    vocab: [...MAZE_VOCAB],
    length: size * size,
    width: size,
    encoding:
      `Maze ${size}×${size} row-major. Tokens: 0 = PAD, 1 = wall '#', 2 = open ' ', 3 = start 'S', 4 = goal 'G', 5 = path 'o'. ` +
      `Input: the maze with S and G; target: the same grid with the inner cells of the shortest S→G path marked 5, every cell scored. ` +
      `Shortest paths are at least ${minPath} steps and unique whenever the maze allows.`,
    train(rng) {
      const maze = generateMaze(size, rng, minPath, loops);
      if (!augment) return maze;
      const k = rng.int(8);
      return { input: dihedral(maze.input, size, k), target: dihedral(maze.target, size, k) };
    },
    heldOut(rng) {
      return generateMaze(size, rng, minPath, loops);
    },
  };
}
