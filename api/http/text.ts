import { z } from 'zod';

/**
 * Text at the API's edge: one rule for every text field of every route (README "Input rules").
 *
 * - No control characters: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). Multi-line text
 *   (notes, reasons, findings, summaries, the demand) may hold tab, line feed and carriage return; single-line
 *   text (names, titles, ids, codes, phone numbers) none of them.
 * - No lone UTF-16 surrogates (half an emoji): they cannot be written as UTF-8, and PostgreSQL refuses them.
 * - Everything else is text and is kept exactly as sent (after trimming the ends): emoji, quotes, SQL-ish
 *   strings, right-to-left scripts, full-width digits.
 *
 * NUL in particular can never be stored (PostgreSQL text and jsonb refuse it), so refusing it here is
 * what keeps a case's timeline writable.
 */

const singleLineForbidden = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;
const multiLineForbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\p{Cs}/u;

/**
 * The same rules as JSON Schema patterns for the OpenAPI document (ECMA-262 and Python `re` read them alike),
 * so a client or a fuzzer generating from the document sends only text the API takes: the characters allowed,
 * and for text that must not be empty, at least one that trimming (String.prototype.trim) leaves.
 */
const singleLineControls = '\\u0000-\\u001f\\u007f-\\u009f';
const multiLineControls = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f';
const trimmedWhitespace = '\\t\\n\\u000b\\u000c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** The pattern of text without forbidden characters; `nonBlank`: with at least one character trimming keeps. */
export function textPattern(multiLine: boolean, nonBlank: boolean): string {
  const c = multiLine ? multiLineControls : singleLineControls;
  return nonBlank ? `^[^${c}]*[^${c}${trimmedWhitespace}][^${c}]*$` : `^[^${c}]*$`;
}

const codePoint = (ch: string) => `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a string is not acceptable text (undefined: it is): names the first bad character and where it is. */
export function forbiddenCharacter(value: string, multiLine: boolean): string | undefined {
  const m = (multiLine ? multiLineForbidden : singleLineForbidden).exec(value);
  if (!m) return undefined;
  const ch = m[0];
  const what = /\p{Cs}/u.test(ch)
    ? 'a lone UTF-16 surrogate'
    : multiLine || !/[\t\n\r]/.test(ch)
      ? 'a control character'
      : 'a line break or tab (this field is one line)';
  return `must not contain ${what} (${codePoint(ch)} at position ${m.index})`;
}

const checked = (multiLine: boolean) => (value: string, ctx: z.core.$RefinementCtx<string>) => {
  const why = forbiddenCharacter(value, multiLine);
  if (why) ctx.addIssue({ code: 'custom', message: why, input: value });
};

/** A plain string without forbidden characters: for fields with their own shape (a regex, an enum of codes). */
export const cleanString = (multiLine = false) => z.string().superRefine(checked(multiLine));

/**
 * Multi-line free text of at most `max` characters, trimmed, never empty: notes, reasons, findings,
 * summaries, comments, the demand.
 */
export const text = (max: number, empty = 'must not be empty') =>
  z.string().trim().min(1, empty).max(max, `must be at most ${max} characters`).superRefine(checked(true)).meta({ pattern: textPattern(true, true) });

/** One line of at most `max` characters, trimmed, never empty: names, titles, codes, document names. */
export const line = (max: number, empty = 'must not be empty') =>
  z.string().trim().min(1, empty).max(max, `must be at most ${max} characters`).superRefine(checked(false)).meta({ pattern: textPattern(false, true) });

/** One line that may be empty (an optional address left blank). */
export const optionalLine = (max: number) =>
  z.string().trim().max(max, `must be at most ${max} characters`).superRefine(checked(false)).meta({ pattern: textPattern(false, false) });

/**
 * Phone numbers are normalised by Unicode NFKC before they are checked and stored: full-width digits, plus
 * and hyphen (`１３８－…`, as Chinese input methods type them) become ASCII, so the repeat rule and the
 * personal-data checks compare digits with digits. Anything that is still not digits, spaces, dashes and
 * a leading plus is refused.
 */
export const phoneNumber = (pattern: RegExp, message: string) =>
  z
    .preprocess((v) => (typeof v === 'string' ? v.normalize('NFKC') : v), z.string().trim().superRefine(checked(false)).pipe(z.string().regex(pattern, message)))
    // The document states the ASCII form; the full-width forms NFKC turns into it are accepted besides.
    .meta({ pattern: pattern.source });

/**
 * The catch-all behind every schema (api/validation.ts): the JSON pointers and reasons of every string in
 * `input` that holds a control character or a lone surrogate — whatever field it is in, so a field whose
 * schema forgot the rule is still refused. In bodies (`multiLine`) tab, line feed and carriage return pass
 * here (single-line fields refuse them in their schemas); query and path parameters are one line each.
 */
export function forbiddenText(input: unknown, multiLine: boolean): { path: PropertyKey[]; detail: string }[] {
  // Iterative, with paths built only for what is reported: a body nested tens of thousands deep (a few
  // hundred kilobytes of "[") must be a 400 from the schema, not a stack overflow or quadratic copying.
  interface Node {
    value: unknown;
    parent?: Node;
    key?: PropertyKey;
    /** For an object's entry: its field name is checked when the entry is reached. */
    checkKey?: boolean;
  }
  const pathOf = (node: Node): PropertyKey[] => {
    const path: PropertyKey[] = [];
    for (let n: Node | undefined = node; n?.parent; n = n.parent) path.push(n.key!);
    return path.reverse();
  };
  const out: { path: PropertyKey[]; detail: string }[] = [];
  const stack: Node[] = [{ value: input }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.checkKey) {
      const why = forbiddenCharacter(String(node.key), false);
      if (why) out.push({ path: pathOf(node), detail: `field name ${why}` });
    }
    const { value } = node;
    if (typeof value === 'string') {
      const why = forbiddenCharacter(value, multiLine);
      if (why) out.push({ path: pathOf(node), detail: why });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i]![1], parent: node, key: entries[i]![0], checkKey: true });
    }
  }
  return out;
}
