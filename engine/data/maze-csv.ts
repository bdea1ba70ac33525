/**
 * Maze-Hard rows (a user's CSV) as a cells task, with the generated maze's encoding (maze.ts):
 * PAD 0, wall `#` 1, open ` ` 2, start `S` 3, goal `G` 4, path `o` 5. A row of L characters is
 * a √L × √L grid (Maze-Hard: 900 → 30×30). Pure: the file is read by puzzle-csv.ts.
 */
import { cellsSourceWith } from './cells-source.ts';
import { bfs, dihedral, MazeToken } from './maze.ts';
import {
  checkRowSize,
  RowProblem,
  type PuzzleRows,
  type RowParser,
  type RowSplit,
} from './puzzle-rows.ts';
import type { MazeCsvSpec } from './spec.ts';
import type { DataSource } from './types.ts';

/** The largest grid side taken (the generated maze's limit too). */
export const MAX_MAZE_SIDE = 64;

const TOKEN_OF: Record<string, number> = {
  '#': MazeToken.wall,
  ' ': MazeToken.open,
  S: MazeToken.start,
  G: MazeToken.goal,
  o: MazeToken.path,
};

const SYMBOL_OF = ['', '#', ' ', 'S', 'G', 'o'];

const where = (cell: number, side: number) =>
  `row ${Math.floor(cell / side) + 1}, column ${(cell % side) + 1}`;

function tokens(text: string, side: number, what: 'question' | 'answer'): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const token = TOKEN_OF[text[i] as string];
    if (token === undefined) {
      throw new RowProblem(
        `the ${what} has ${JSON.stringify(text[i])} at ${where(i, side)}; a maze uses # (wall), space (open), S (start), G (goal) and o (path)`,
      );
    }
    out[i] = token;
  }
  return out;
}

/** True when the answer's path cells join S to G (4-neighbourhood, through path cells only). */
export function pathConnects(answer: ArrayLike<number>, side: number): boolean {
  const start = Array.prototype.indexOf.call(answer, MazeToken.start);
  const goal = Array.prototype.indexOf.call(answer, MazeToken.goal);
  if (start < 0 || goal < 0) return false;
  // Only path, start and goal cells are passable: everything else counts as wall.
  const walk = Uint8Array.from(answer, (t) =>
    t === MazeToken.path || t === MazeToken.start || t === MazeToken.goal
      ? MazeToken.open
      : MazeToken.wall,
  );
  return (bfs(walk, side, start).dist[goal] as number) >= 0;
}

/** Checks every row: a square grid, known characters, one S and one G, an answer marking a joined path. */
export function mazeRowParser(): RowParser & { side: number } {
  let cells = 0;
  const parser = {
    side: 0,
    parse(question: string, answer: string) {
      if (cells === 0) {
        const side = Math.round(Math.sqrt(question.length));
        if (side * side !== question.length || side < 2) {
          throw new RowProblem(
            `the question has ${question.length} characters, not a square number; a maze row holds a square grid row by row (Maze-Hard: 900 = 30×30)`,
          );
        }
        if (side > MAX_MAZE_SIDE) {
          throw new RowProblem(
            `the grid is ${side}×${side}, too big: mazes may be at most ${MAX_MAZE_SIDE}×${MAX_MAZE_SIDE}`,
          );
        }
        cells = question.length;
        parser.side = side;
      }
      checkRowSize(question, answer, cells, 'maze');
      const { side } = parser;
      const q = tokens(question, side, 'question');
      const a = tokens(answer, side, 'answer');
      let starts = 0;
      let goals = 0;
      for (let i = 0; i < cells; i++) {
        if (q[i] === MazeToken.path) {
          throw new RowProblem(
            `the question marks a path cell (o) at ${where(i, side)}; only the answer shows the path`,
          );
        }
        if (q[i] === MazeToken.start) starts++;
        if (q[i] === MazeToken.goal) goals++;
        const marked = q[i] === MazeToken.open && a[i] === MazeToken.path;
        if (q[i] !== a[i] && !marked) {
          throw new RowProblem(
            `the answer has ${JSON.stringify(SYMBOL_OF[a[i] as number])} at ${where(i, side)} where the question has ${JSON.stringify(SYMBOL_OF[q[i] as number])}; the answer must be the question with path cells marked o`,
          );
        }
      }
      if (starts !== 1 || goals !== 1) {
        throw new RowProblem(
          `the question has ${starts} start (S) and ${goals} goal (G) cells; a maze needs exactly one of each`,
        );
      }
      if (!pathConnects(a, side)) {
        throw new RowProblem(`the answer's path (o) does not join S to G, so it is not solved`);
      }
      return { question: q, answer: a };
    },
  };
  return parser;
}

/** The source over rows already read and split; training rows get a random square symmetry when asked. */
export function mazeCsvSource(
  spec: MazeCsvSpec,
  rows: PuzzleRows,
  side: number,
  split: RowSplit,
  seed: number,
): DataSource {
  const heldOut = Array.from(split.heldOut, (row) => {
    const { question, answer } = rows.get(row);
    return { input: question, target: answer };
  });
  return cellsSourceWith(
    {
      name: `maze ${side}×${side} from ${spec.path}`,
      vocab: ['<pad>', '#', ' ', 'S', 'G', 'o'],
      length: side * side,
      width: side,
      encoding:
        `Maze ${side}×${side} from a CSV file, row-major. Tokens: 0 = PAD, 1 = wall '#', 2 = open ' ', 3 = start 'S', 4 = goal 'G', 5 = path 'o'. ` +
        `Input: the question (no path); target: the answer, every cell scored.` +
        (spec.augment ? ' Training rows get one of the 8 symmetries of the square.' : ''),
      train(rng) {
        const { question, answer } = rows.get(split.train[rng.int(split.train.length)] as number);
        if (!spec.augment) return { input: question, target: answer };
        const k = rng.int(8);
        return { input: dihedral(question, side, k), target: dihedral(answer, side, k) };
      },
    },
    seed,
    heldOut,
  );
}
