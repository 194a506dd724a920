import type { api } from './stack';

type Res = Awaited<ReturnType<typeof api>>;

/** What else a problem must say, beyond its status. */
export interface ProblemExpectation {
  /** The detail matches this; `true`: there is a detail, a string. */
  detail?: RegExp | true;
  /** Field pointers that must all be among the errors. */
  pointers?: string[];
  /** The problem type's slug: the body's `type` is `/problems/<type>`. */
  type?: string;
  /** The body has a `type` and a `title`, both strings, whatever they say. */
  titled?: boolean;
}

/**
 * The response is an RFC 9457 problem with this status, and what the third argument asks: a detail
 * pattern (then an optional field pointer and type) or a `ProblemExpectation`.
 */
export function expectProblem(res: Res, status: number, expected?: RegExp | ProblemExpectation, pointer?: string, type?: string): void {
  const want: ProblemExpectation = expected instanceof RegExp || expected === undefined ? { detail: expected, pointers: pointer ? [pointer] : undefined, type } : expected;
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (want.titled) expect(res.body).toMatchObject({ type: expect.any(String), title: expect.any(String) });
  if (want.detail === true) expect(typeof res.body.detail).toBe('string');
  else if (want.detail) expect(res.body.detail).toMatch(want.detail);
  if (want.pointers?.length) expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toEqual(expect.arrayContaining(want.pointers));
  if (want.type) expect(res.body.type).toBe(`/problems/${want.type}`);
}
