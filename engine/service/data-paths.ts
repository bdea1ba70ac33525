import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileFieldsIn, type FileFieldMeta } from '../data/file-fields.ts';
import { DataSpec } from '../data/spec.ts';
import { confineTo } from '../io/confine.ts';
import { ServiceError } from './errors.ts';

/**
 * Confine every file a data spec names to the workspace, in place: each field `DataSpec` marks
 * as a file (`path`, `tokenizerFile`, whatever it is called) becomes its absolute path there.
 * A path outside is refused by where it lies, before anything is read, so the sentence is the
 * same whether it exists or not.
 *
 * `recordedBy` names where a spec read back from a file came from (a run's checkpoint): such a
 * spec is only confined, since a moved data file there is the reader's business, not a refusal.
 */
export async function confineDataSpec(
  spec: unknown,
  workspace: string,
  recordedBy?: string,
): Promise<void> {
  for (const field of fileFieldsIn(DataSpec, spec)) {
    const name = field.value;
    const full = await confineTo(workspace, name);
    if (full === null) {
      throw new ServiceError(
        'outside-workspace',
        recordedBy
          ? `${recordedBy} names the ${field.what} "${name}", which is outside the workspace (${workspace}); the app reads and writes training files only there. Train the run again from a file in the workspace.`
          : `The ${field.what} "${name}" is outside the workspace (${workspace}); copy it there and pick it again.`,
      );
    }
    if (!recordedBy) await checkKind(field.what, field.access, name, full, workspace);
    field.holder[field.key] = full;
  }
}

/**
 * A file to read must be a regular file; one to create needs an existing folder; a folder to
 * read must be a folder.
 */
async function checkKind(
  what: string,
  access: FileFieldMeta['access'],
  name: string,
  full: string,
  workspace: string,
): Promise<void> {
  const info = await stat(full).catch(() => null);
  if (access === 'read-folder') {
    if (info?.isDirectory()) return;
    throw new ServiceError(
      info ? 'not-a-folder' : 'no-data-file',
      info
        ? `The ${what} "${name}" is a file, not a folder; name the folder that holds the files.`
        : `The ${what} "${name}" does not exist in the workspace (${workspace}); put the folder there and type its name.`,
    );
  }
  if (info?.isFile()) return;
  if (info?.isDirectory()) {
    throw new ServiceError(
      'not-a-file',
      `The ${what} "${name}" is a folder, not a file; name a file inside it instead.`,
    );
  }
  if (info) {
    throw new ServiceError(
      'not-a-file',
      `The ${what} "${name}" is a pipe, socket or device, not a file; name a regular file.`,
    );
  }
  if (access === 'read') {
    throw new ServiceError(
      'no-data-file',
      `The ${what} "${name}" does not exist in the workspace (${workspace}); put a text file there and type its name.`,
    );
  }
  if (!(await stat(dirname(full)).catch(() => null))?.isDirectory()) {
    throw new ServiceError(
      'no-data-file',
      `The folder for the ${what} "${name}" does not exist in the workspace (${workspace}); create it first, or name a file in an existing folder.`,
    );
  }
}

/**
 * The policy for a data spec read back from a file in the workspace (a checkpoint, an export's
 * metadata): a confined copy, or a refusal naming `recordedBy`.
 */
export function confineRecorded(workspace: string, recordedBy: string) {
  return async (spec: unknown): Promise<unknown> => {
    const copy = structuredClone(spec);
    await confineDataSpec(copy, workspace, recordedBy);
    return copy;
  };
}
