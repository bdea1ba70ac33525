import { useCallback, useEffect, useMemo, useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { DataFile } from '../../../engine/contract/api.ts';
import { formValues, schemaFields } from '../schema-form.ts';
import { dataForTask, puzzleFileSpec } from '../task-data.ts';
import { textDataArg, textFileSpec, type TextDataChoice } from './data-picker.tsx';
import type { TrainOptions } from './use-train-run.ts';

export type DataSource = 'corpus' | 'task' | 'file' | 'puzzle';

/**
 * The data a run trains on, as the Train panel's Data section chooses it: a built-in corpus, a
 * generated task with its options, a text file with a tokenizer, or puzzle files in a layout.
 * It starts on the data the document declares (`meta.task`) and goes back to it when another
 * document is opened: a Sudoku template trains on Sudoku of its size.
 */
export function useTrainData(
  doc: GraphDocument,
  options: TrainOptions | null,
  setError: (message: string | null) => void,
) {
  const [source, setSource] = useState<DataSource>('corpus');
  const [corpus, setCorpus] = useState('brown');
  const [task, setTask] = useState('copy');
  const [taskValues, setTaskValues] = useState<Record<string, string>>({});
  const [file, setFile] = useState('');
  const [fileInfo, setFileInfo] = useState<DataFile | null>(null);
  const [layout, setLayout] = useState('sudoku-csv');
  const [puzzlePath, setPuzzlePath] = useState('');
  const [puzzleValues, setPuzzleValues] = useState<Record<string, string>>({});
  const [textChoice, setTextChoice] = useState<TextDataChoice>({
    tokenizer: 'char',
    vocabSize: '',
  });

  const taskFields = useMemo(() => schemaFields(options?.tasks[task]), [options, task]);
  const puzzleFields = useMemo(
    () => schemaFields(options?.puzzleFiles.find((l) => l.type === layout)?.options),
    [options, layout],
  );

  const declared = doc.meta?.task;
  const pickDeclared = useCallback(() => {
    const choice = dataForTask(declared);
    if (!choice) return;
    setError(null);
    setSource(choice.source);
    if (choice.source === 'corpus') setCorpus(choice.corpus);
    else {
      setTask(choice.task);
      setTaskValues(choice.values);
    }
  }, [declared, setError]);
  useEffect(pickDeclared, [pickDeclared]);

  const chosen = dataForTask(declared);
  /** Corpora of plain text take a tokenizer choice (the masked-LM one has its own). */
  const textCorpus = options?.corpora.find((o) => o.id === corpus)?.tokenizer ?? false;

  /** The data argument of `train.start`; throws a sentence naming what is missing. */
  const spec = (): string | Record<string, unknown> => {
    if (source === 'corpus') return textCorpus ? textDataArg(corpus, textChoice) : corpus;
    if (source === 'file') {
      if (!file.trim())
        throw new Error('Drop a text file here, choose one, or type its path in the workspace.');
      return textFileSpec(file.trim(), textChoice);
    }
    if (source === 'puzzle')
      return puzzleFileSpec(layout, puzzlePath, formValues(puzzleFields, puzzleValues));
    const pairs = Object.entries(formValues(taskFields, taskValues)).map(
      ([k, x]) => `${k}=${String(x)}`,
    );
    return pairs.length ? `${task}:${pairs.join(',')}` : task;
  };

  return {
    declared,
    /** The chosen data is what the document declares. */
    onDeclaredData:
      chosen?.source === source &&
      (chosen.source === 'corpus' ? chosen.corpus === corpus : chosen.task === task),
    pickDeclared,
    source,
    setSource,
    corpus,
    setCorpus,
    task,
    setTask,
    taskFields,
    taskValues,
    setTaskValue: (key: string, text: string) => setTaskValues((x) => ({ ...x, [key]: text })),
    file,
    setFile,
    fileInfo,
    /** A file the person dropped or picked: its path, and what the engine read in it. */
    takeFile: (f: DataFile) => {
      setFileInfo(f);
      setFile(f.path);
    },
    layout,
    /** Another layout has other options: the typed ones are dropped. */
    chooseLayout: (l: string) => {
      setLayout(l);
      setPuzzleValues({});
    },
    puzzlePath,
    setPuzzlePath,
    puzzleFields,
    puzzleValues,
    setPuzzleValue: (key: string, text: string) => setPuzzleValues((x) => ({ ...x, [key]: text })),
    /** Text data (a file, or a plain-text corpus) takes a tokenizer. */
    textData: source === 'file' || (source === 'corpus' && textCorpus),
    textChoice,
    setTextChoice,
    spec,
  };
}

export type TrainData = ReturnType<typeof useTrainData>;
