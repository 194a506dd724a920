import type { z } from 'zod';
import { problem } from './problems';

function pointer(path: PropertyKey[]): string {
  return `#/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

/** Parses input with a zod schema at the edge; failure is a 400 problem listing every field error. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'Idempotency-Key header' = 'body'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: pointer([...issue.path, key]),
        detail: `unknown field "${key}"`,
      }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    return [{ pointer: pointer(issue.path), detail: missing ? `is required (${issue.expected})` : issue.message }];
  });
  const summary = errors.map((e) => `${e.pointer.slice(2) || where}: ${e.detail}`).join('; ');
  throw problem(400, `Invalid request ${where}: ${summary}`, { type: 'validation-failed', errors });
}
