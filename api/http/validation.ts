import type { z } from 'zod';
import { forbiddenText } from './text';
import { problem } from './problems';

function pointer(path: PropertyKey[]): string {
  return `#/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), input);
}

/** What a missing field should have been: its type or its options. */
function expectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return ` (${issue.expected})`;
  if (issue.code === 'invalid_value') return ` (one of ${issue.values.map(String).join(', ')})`;
  const options = (issue as { options?: unknown[] }).options;
  return Array.isArray(options) ? ` (one of ${options.map(String).join(', ')})` : '';
}

/** Parses input with a zod schema at the edge; failure is a 400 problem listing every field error. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'path' | 'Idempotency-Key header' = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  // Control characters and lone surrogates are refused in any string, whatever its field's schema says.
  const poison = forbiddenText(input, where === 'body').map((f) => ({ pointer: pointer(f.path), detail: f.detail }));
  if (result.success && poison.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const schemaErrors = issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: pointer([...issue.path, key]),
        detail: `unknown field "${key}"`,
      }));
    }
    const missing = issue.code !== 'custom' && valueAt(input, issue.path) === undefined;
    return [{ pointer: pointer(issue.path), detail: missing ? `is required${expectation(issue)}` : issue.message }];
  });
  const errors = [...schemaErrors, ...poison.filter((p) => !schemaErrors.some((e) => e.pointer === p.pointer))];
  const summary = errors.map((e) => `${e.pointer.slice(2) || where}: ${e.detail}`).join('; ');
  throw problem(400, `Invalid request ${where}: ${summary}`, { type: 'validation-failed', errors });
}
