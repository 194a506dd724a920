/**
 * Request bodies in the OpenAPI document say whether they may be left out. Every route reads a missing body
 * as `{}` (`req.body ?? {}`), so a body is required exactly when `{}` is not a valid one: an object schema
 * with required fields, or anything that is not a plain object schema (a union, say). A route that states
 * `required` itself keeps its word.
 */

import { textPattern } from './text';

type Schema = { $ref?: string; type?: unknown; required?: unknown[] };
interface Doc {
  paths?: object;
  components?: { schemas?: Record<string, Schema> };
}

function resolve(doc: Doc, schema: Schema | undefined): Schema | undefined {
  const name = schema?.$ref?.replace('#/components/schemas/', '');
  return name === undefined ? schema : doc.components?.schemas?.[name];
}

const emptyObjectIsValid = (s: Schema | undefined) => s !== undefined && s.type === 'object' && (s.required ?? []).length === 0;

export function markRequiredBodies<D extends Doc>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {}) as Record<string, unknown>[]) {
    for (const operation of Object.values(item ?? {})) {
      const body = (operation as { requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> } } | null)?.requestBody;
      if (!body || body.required !== undefined) continue;
      const schema = resolve(doc, body.content?.['application/json']?.schema);
      body.required = !emptyObjectIsValid(schema);
    }
  }
  return doc;
}

/**
 * An optional query parameter sent empty (`?stage=`) is one not sent (api/http/schemas.ts `emptyIsAbsent`):
 * the document says so with `allowEmptyValue`. Required ones (an assessment's `from` and `to`) must have a value.
 */
export function allowEmptyOptionalQueryValues<D extends Doc>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {}) as Record<string, unknown>[]) {
    for (const operation of Object.values(item ?? {})) {
      for (const parameter of (operation as { parameters?: { in?: string; required?: boolean; allowEmptyValue?: boolean }[] } | null)?.parameters ?? []) {
        if (parameter.in === 'query' && !parameter.required) parameter.allowEmptyValue ??= true;
      }
    }
  }
  return doc;
}

/**
 * The rule parseOr400 applies to every string of a request whatever its field's schema says — no control
 * characters, in bodies tab and line breaks aside (api/http/text.ts) — stated as a `pattern` on every request
 * string that has no shape of its own (pattern, enum, const or format). Component schemas are changed in
 * place, so a response that reuses one says the same (what the API stores passed the same rule).
 */
export function forbidControlCharacters<D extends Doc>(doc: D): D {
  const seen = new Set<object>();
  const visit = (schema: unknown, multiLine: boolean): void => {
    if (schema === null || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    const s = schema as Record<string, unknown>;
    if (typeof s.$ref === 'string') return visit(resolve(doc, s as Schema), multiLine);
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (types.includes('string') && !('pattern' in s || 'enum' in s || 'const' in s || 'format' in s)) s.pattern = textPattern(multiLine, false);
    for (const key of ['items', 'additionalProperties', 'not']) visit(s[key], multiLine);
    for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) for (const sub of (s[key] as unknown[] | undefined) ?? []) visit(sub, multiLine);
    for (const sub of Object.values((s.properties as Record<string, unknown> | undefined) ?? {})) visit(sub, multiLine);
  };
  for (const item of Object.values(doc.paths ?? {}) as Record<string, unknown>[]) {
    for (const operation of Object.values(item ?? {})) {
      const o = operation as { parameters?: { schema?: unknown }[]; requestBody?: { content?: Record<string, { schema?: unknown }> } } | null;
      for (const parameter of o?.parameters ?? []) visit(parameter.schema, false);
      for (const media of Object.values(o?.requestBody?.content ?? {})) visit(media.schema, true);
    }
  }
  return doc;
}
