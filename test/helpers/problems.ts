import type { api } from './stack';

type Res = Awaited<ReturnType<typeof api>>;

/** The response is an RFC 9457 problem with this status (and detail, field pointer and type when given). */
export function expectProblem(res: Res, status: number, detail?: RegExp, pointer?: string, type?: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status } });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (detail) expect(res.body.detail).toMatch(detail);
  if (pointer) expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  if (type) expect(res.body.type).toBe(`/problems/${type}`);
}
