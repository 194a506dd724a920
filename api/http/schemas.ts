import { z } from 'zod';
import { maxCursorLength } from './cursor';
import { cleanString } from './text';

/** Schemas every router's requests use: ids in bodies and paths, list queries and their pages. */

/** The characters of an id, unanchored: for patterns that embed an id (`task:<id>`). */
export const idChars = '[A-Za-z0-9][A-Za-z0-9._:-]{0,99}';
/** Ids of tasks, partners, departments and staff: also what a task id in a path must look like. */
export const idPattern = new RegExp(`^${idChars}$`);
export const id = cleanString().trim().regex(idPattern, 'must be an id of letters, digits, ".", "_", ":" or "-"');

/** A query parameter sent empty (`?stage=`) is one not sent. */
export const emptyIsAbsent = (v: unknown) => (v === '' ? undefined : v);
/** A page of a list: its size and the cursor the previous page returned. */
export const pageQuery = {
  limit: z.preprocess(emptyIsAbsent, z.coerce.number().int().min(1).max(100).default(20)),
  cursor: z.preprocess(
    emptyIsAbsent,
    z
      .string()
      .max(maxCursorLength)
      .optional()
      .meta({
        pattern: '^[A-Za-z0-9_-]*$',
        description:
          "The previous page's `nextCursor`, exactly as returned: opaque, it is only ever a value this list gave; anything else is a 400 naming the cursor",
      }),
  ),
};
