import { eq } from 'drizzle-orm';
import { calendarYears, cases } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { caseStateQuery } from '../workflows/case/messages';
import { openCase } from './helpers/cases';
import { generalRules } from './helpers/fixtures';
import { api, eventually, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';

const year2027 = {
  source: 'State Council notice 2027 (test)',
  days: [
    { date: '2027-01-01', kind: 'holiday', name: "New Year's Day" },
    { date: '2027-02-06', kind: 'workday', name: 'Spring Festival' },
    { date: '2027-02-07', kind: 'holiday', name: 'Spring Festival' },
  ],
};

describe('calendar API', () => {
  const { stack, tokens } = useStack();
  let admin: string;
  let staff: string;
  beforeAll(async () => {
    admin = await stack.token({ role: 'admin', sub: 'admin-1' });
    staff = tokens.staff;
  });

  it('needs a token, and only an admin may import', async () => {
    expectProblem(await api(stack, 'GET', '/api/calendar/2026'), 401, { detail: /no Authorization header/, titled: true });
    expectProblem(await api(stack, 'PUT', '/api/calendar/2027', { body: year2027 }), 401, { detail: /no Authorization header/, titled: true });
    const res = await api(stack, 'PUT', '/api/calendar/2027', { token: staff, body: year2027 });
    expectProblem(res, 403, { detail: /role admin/, titled: true });
    const [row] = await stack.database.db.select().from(calendarYears).where(eq(calendarYears.year, 2027));
    expect(row).toBeUndefined();
  });

  it('serves a seeded year to any role: 2026 is official, with National Day and its adjusted working days', async () => {
    const res = await api(stack, 'GET', '/api/calendar/2026', { token: staff });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ year: 2026, official: true, source: expect.stringMatching(/^chinese-days@/), importedAt: expect.any(String) });
    const byDate = new Map(res.body.days.map((d: { date: string; kind: string }) => [d.date, d.kind]));
    expect(byDate.get('2026-10-01')).toBe('holiday');
    expect(byDate.get('2026-10-10')).toBe('workday');
    expect(byDate.get('2026-09-20')).toBe('workday');
    expect(byDate.has('2026-10-08')).toBe(false);
    const dates = res.body.days.map((d: { date: string }) => d.date);
    expect(dates).toEqual([...dates].sort());
  });

  it('serves a year without data as not official and empty', async () => {
    const res = await api(stack, 'GET', '/api/calendar/2099', { token: staff });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ year: 2099, official: false, days: [] });
  });

  it('400 for a year out of range or not a year', async () => {
    expectProblem(await api(stack, 'GET', '/api/calendar/1999', { token: staff }), 400, { detail: /year: must be a year from 2000 to 2100/, titled: true });
    expectProblem(await api(stack, 'PUT', '/api/calendar/2101', { token: admin, body: year2027 }), 400, { detail: /2000 to 2100/, titled: true });
    expectProblem(await api(stack, 'GET', '/api/calendar/next', { token: staff }), 400, { detail: /year/, titled: true });
  });

  it('400 with pointers for a body of the wrong shape', async () => {
    const res = await api(stack, 'PUT', '/api/calendar/2027', {
      token: admin,
      body: { source: '', days: [{ date: '1 Jan 2027', kind: 'vacation', name: 'x', extra: 1 }], note: 'hi' },
    });
    expectProblem(res, 400, { detail: /Invalid request body/, titled: true });
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['#/source', '#/days/0/date', '#/days/0/kind', '#/days/0/extra', '#/note']));
    expectProblem(await api(stack, 'PUT', '/api/calendar/2027', { token: admin, body: { source: 'x' } }), 400, { detail: /days/, titled: true });
    expectProblem(await api(stack, 'PUT', '/api/calendar/2027', { token: admin, rawBody: '{"source":', headers: { 'content-type': 'application/json' } }), 400, { detail: /not valid JSON/, titled: true });
  });

  it('422 with pointers for a date outside the year, a date that does not exist, or a date listed twice', async () => {
    const res = await api(stack, 'PUT', '/api/calendar/2027', {
      token: admin,
      body: {
        source: 'x',
        days: [
          { date: '2026-12-31', kind: 'holiday', name: 'a' },
          { date: '2027-02-29', kind: 'holiday', name: 'b' },
          { date: '2027-05-01', kind: 'holiday', name: 'c' },
          { date: '2027-05-01', kind: 'holiday', name: 'd' },
        ],
      },
    });
    expectProblem(res, 422, { detail: /not valid/, titled: true });
    expect(res.body.errors).toEqual([
      { pointer: '#/days/0/date', detail: expect.stringMatching(/not in 2027/) },
      { pointer: '#/days/1/date', detail: expect.stringMatching(/not a real date/) },
      { pointer: '#/days/3/date', detail: expect.stringMatching(/twice/) },
    ]);
    expect((await api(stack, 'GET', '/api/calendar/2027', { token: admin })).body.official).toBe(false);
  });

  it('imports a year, which GET then returns; cases whose workflow is gone do not fail the import', async () => {
    // A provisional open case without a workflow (and a closed one, which is not told).
    const now = new Date();
    const row = {
      workflowId: '',
      stationId: 'qianggen',
      serviceCode: 'legal-consultation',
      category: 'life' as const,
      deadlineClass: 'general',
      channel: 'walk-in' as const,
      demand: 'Lease question',
      resident: { name: 'Zhao' },
      openedBy: 'wang',
      openedAt: now,
      updatedAt: now,
      provisional: true,
    };
    await stack.database.db.insert(cases).values([
      { ...row, id: 'QG-20261230-9001', workflowId: caseWorkflowId('QG-20261230-9001'), stage: 'execute' },
      { ...row, id: 'QG-20261230-9002', workflowId: caseWorkflowId('QG-20261230-9002'), stage: 'closed' },
    ]);

    const res = await api(stack, 'PUT', '/api/calendar/2027', { token: admin, body: year2027 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ year: 2027, days: 3, recomputedCases: 0 });
    // The open case was tried (and logged without personal data); the closed one was not.
    const warned = stack.logLines.filter((l) => l.includes('not told of the calendar change'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('QG-20261230-9001');
    expect(stack.logLines.some((l) => l.includes('Zhao'))).toBe(false);

    const got = await api(stack, 'GET', '/api/calendar/2027', { token: staff });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ year: 2027, official: true, source: year2027.source, importedAt: expect.any(String), days: year2027.days });

    // A second import replaces the year.
    const again = await api(stack, 'PUT', '/api/calendar/2027', { token: admin, body: { source: 'corrected', days: [year2027.days[0]] } });
    expect(again.body).toMatchObject({ year: 2027, days: 1 });
    expect((await api(stack, 'GET', '/api/calendar/2027', { token: staff })).body).toMatchObject({ source: 'corrected', days: [year2027.days[0]] });
  });

  it('recomputes the provisional deadline of a running case when its year is imported', async () => {
    const id = 'QG-20261123-9003';
    // Friday 31 December 2027, 10:00 in Beijing, 2 working days. 2028 has no data: by the weekday rule,
    // 14 h on the 31st and 24 h on Monday 3 January, 10 h on the 4th → 4 January 10:00, provisional.
    const h = await openCase(stack, id, {
      openedAt: '2027-12-31T02:00:00.000Z',
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: 2, resolutionUnit: 'working-days' },
    });
    const before = (await h.query(caseStateQuery)).clocks!.find((c) => c.kind === 'resolution')!;
    expect(before).toMatchObject({ dueAt: '2028-01-04T02:00:00.000Z', provisional: true });
    await eventually(async () => (await stack.database.db.select().from(cases).where(eq(cases.id, id)))[0]?.provisional, 5000, 'the provisional flag');

    // 2028 is published: Monday 3 January is a holiday.
    const res = await api(stack, 'PUT', '/api/calendar/2028', { token: admin, body: { source: 'notice 2028 (test)', days: [{ date: '2028-01-03', kind: 'holiday', name: "New Year's Day" }] } });
    expect(res.body).toMatchObject({ year: 2028, recomputedCases: 1 });
    const after = await eventually(async () => {
      const c = (await h.query(caseStateQuery)).clocks!.find((k) => k.kind === 'resolution')!;
      return !c.provisional && c;
    }, 10_000, 'the recomputed deadline');
    // 14 h on the 31st, the 3rd a holiday, 24 h on the 4th, 10 h on the 5th.
    expect(after.dueAt).toBe('2028-01-05T02:00:00.000Z');
    await eventually(async () => (await stack.database.db.select().from(cases).where(eq(cases.id, id)))[0]?.provisional === false, 5000, 'the read model to follow');
  });

  it('documents both routes in the OpenAPI document', async () => {
    const res = await api(stack, 'GET', '/openapi.json');
    expect(res.body.paths['/api/calendar/{year}']).toEqual(expect.objectContaining({ get: expect.any(Object), put: expect.any(Object) }));
    expect(Object.keys(res.body.paths['/api/calendar/{year}'].put.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '422']));
  });
});
