import { problem } from './problems';
import { isSupportedInstant } from './instants';

/**
 * Keyset-pagination cursors, for every list of the API: the base64url of the key's parts joined by "|".
 * A cursor is opaque to clients; decoding is strict, so anything a list did not return is a 400 naming the
 * cursor — never a value handed to the database: the text must be canonical base64url of UTF-8, have exactly
 * the key's parts, each of its shape (an instant within the supported range as the API writes it, an id
 * matching its pattern), and encode back to the very same cursor.
 */

/** One part of a key: how it is written, and how it is read back (undefined: not of this part's shape). */
export interface CursorPart<T> {
  encode(value: T): string;
  decode(text: string): T | undefined;
}

/** The longest cursor a list accepts (also the query schema's bound). */
export const maxCursorLength = 300;

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const readInstant = (text: string): Date | undefined => {
  if (!isoInstant.test(text)) return undefined;
  const d = new Date(text);
  return isSupportedInstant(d) ? d : undefined;
};

export const cursorPart = {
  /** An instant, as `toISOString()` writes it. */
  instant: { encode: (d: Date) => d.toISOString(), decode: readInstant } satisfies CursorPart<Date>,
  /** An instant or none (written as nothing), e.g. a deadline that may be unset. */
  optionalInstant: {
    encode: (d: Date | null) => d?.toISOString() ?? '',
    decode: (text: string) => (text === '' ? null : readInstant(text)),
  } satisfies CursorPart<Date | null>,
  /** An id of the list's items: `pattern` must be anchored and must not admit "|". */
  id: (pattern: RegExp): CursorPart<string> => ({ encode: (v) => v, decode: (text) => (pattern.test(text) ? text : undefined) }),
};

export interface CursorCodec<T> {
  encode(value: T): string;
  /** The key a cursor stands for; a 400 problem naming the cursor when it is not one this codec wrote. */
  decode(cursor: string): T;
}

export const invalidCursor = () =>
  problem(400, 'Invalid request query: cursor: not a cursor this API returned', {
    type: 'validation-failed',
    errors: [{ pointer: '#/cursor', detail: 'not a cursor this API returned' }],
  });

const base64url = /^[A-Za-z0-9_-]+$/;

/** A codec for keys of the given parts, in the order given. */
export function cursorCodec<T extends object>(parts: { [K in keyof T]: CursorPart<T[K]> }): CursorCodec<T> {
  const keys = Object.keys(parts) as (keyof T)[];
  const encodeText = (value: T) =>
    keys
      .map((k) => {
        const text = parts[k].encode(value[k]);
        if (text.includes('|')) throw new Error(`cursor part ${String(k)} contains "|": ${text}`);
        return text;
      })
      .join('|');
  return {
    encode: (value) => Buffer.from(encodeText(value), 'utf8').toString('base64url'),
    decode(cursor) {
      if (cursor.length > maxCursorLength || !base64url.test(cursor)) throw invalidCursor();
      const text = Buffer.from(cursor, 'base64url').toString('utf8');
      // Canonical base64url of valid UTF-8 only: stray bits or bytes that are not UTF-8 do not round-trip.
      if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw invalidCursor();
      const pieces = text.split('|');
      if (pieces.length !== keys.length) throw invalidCursor();
      const value = {} as T;
      keys.forEach((k, i) => {
        const decoded = parts[k].decode(pieces[i]!);
        if (decoded === undefined) throw invalidCursor();
        value[k] = decoded;
      });
      if (encodeText(value) !== text) throw invalidCursor();
      return value;
    },
  };
}
