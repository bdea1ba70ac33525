import path from 'node:path';

/** The hand-written Python files a generated package copies (layers.py, train.py). */
export const PYTHON_DIR = path.join(import.meta.dirname, 'python');
