import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes the whole output at once: to standard output, or to a temporary file beside `out`
 * that is renamed into place, so a failure never leaves a partial file behind.
 */
export const writeOutput = (text: string, out: string | undefined): void => {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  const temporary = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, out);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`Cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`);
  }
};
