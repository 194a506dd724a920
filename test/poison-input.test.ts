import { and, eq } from 'drizzle-orm';
import { cases } from '../db/schema';
import { projectionFailure, storable } from '../activities/shared/projection-errors';
import { createLogger } from '../config/logger';
import { caseWorkflowId } from '../temporal/client';
import { installTemporalRuntime } from '../temporal/runtime';
import { whistleWorkflowId } from '../temporal/workflow-ids';
import { caseWorkflow } from '../workflows/case/workflow';
import { caseStateQuery, diagnoseUpdate, pauseUpdate } from '../workflows/case/messages';
import { blowWhistleUpdate, reportUpdate } from '../workflows/whistle/messages';
import { act, staff as staffActor, timeline, whistleTimeline } from './helpers/cases';
import { caseInput } from './helpers/fixtures';
import { expectProblem } from './helpers/problems';
import { api, eventually, useStack } from './helpers/stack';
import { asDepartment, urgentRules, whistleRequest } from './helpers/whistles';

/**
 * Poison input (issue 11 A): text a database cannot store, or that no person types, never blocks a case or
 * a whistle. The API refuses control characters in every text field (400 naming the field); a command
 * that bypasses the API (a buggy or old client talking to Temporal) fails its timeline write visibly and
 * once — a `timeline.write-failed` marker — and the case or whistle keeps moving. No resident data in logs.
 */

// The Temporal SDK's own log lines (activity failures and their retries) are kept too: installed before
// the stack installs its runtime (the first install wins).
const sdkLines: string[] = [];
installTemporalRuntime(createLogger('info', { write: (line: string) => void sdkLines.push(line) }));

/** Characters no text field takes: NUL and the other C0 controls, DEL, C1 controls, a lone surrogate. */
const controls: [string, string][] = [
  ['NUL', '\u0000'],
  ['BEL', '\u0007'],
  ['ESC', '\u001b'],
  ['VT', '\u000b'],
  ['DEL', '\u007f'],
  ['C1 NEL', '\u0085'],
  ['C1 CSI', '\u009b'],
  ['lone high surrogate', '\ud800'],
  ['lone low surrogate', '\udfff'],
];
const lineBreaks: [string, string][] = [
  ['LF', '\n'],
  ['CR', '\r'],
  ['TAB', '\t'],
];

/** A copy of `base` with `value` at the JSON pointer `#/a/0/b`. */
function withAt(base: unknown, pointer: string, value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = pointer.slice(2).split('/');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys.at(-1)!] = value;
  return copy;
}

const hostile = {
  emoji: '水管漏了 🚰💧👵🏻 — 👨‍👩‍👧‍👦',
  sql: "'; drop table cases; -- \" OR 1=1; /* */ \\x00 %00 \\u0000",
  rtl: 'שלום עליכם، مرحبا بالعالم',
  fullWidth: '１３８００１３８０００，二〇二六年',
};
/** Multi-line text: newlines and tabs are part of it. */
const multiLine = `${hostile.emoji}\n${hostile.sql}\r\n\t${hostile.rtl}\n${hostile.fullWidth}`;

describe('poison input (PGlite and PostgreSQL)', () => {
  const { stack, tokens } = useStack({}, { timeout: 120_000 });
  let residents = 0;
  const resident = (extra: Record<string, unknown> = {}) => {
    residents += 1;
    return { name: `Poison Resident ${residents}`, phone: `1391234${String(residents).padStart(4, '0')}`, address: `Building ${residents}`, ...extra };
  };
  const view = (id: string) => api(stack, 'GET', `/api/cases/${id}`, { token: tokens.admin });
  const post = (id: string, path: string, body: unknown, token = tokens.staff) => api(stack, 'POST', `/api/cases/${id}/${path}`, { token, body });

  async function open(body: Record<string, unknown>): Promise<string> {
    const res = await api(stack, 'POST', '/api/cases', { token: tokens.staff, body });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    await eventually(async () => {
      const r = await view(res.body.id);
      return r.status === 200 && r.body.live && r.body.timeline.length >= 2;
    }, 20_000, `case ${res.body.id} to be recorded`);
    return res.body.id;
  }
  const repair = (extra: Record<string, unknown> = {}) => ({ serviceCode: 'home-plumbing-repair', demand: 'Kitchen pipe leaking', resident: resident(), ...extra });

  /** A case that has reached coordinate with a whistle out (ids for the routes' paths). */
  let caseId: string;
  let whistleId: string;

  beforeAll(async () => {
    caseId = await open({ serviceCode: 'garbage-sorting-complaint', demand: 'Neighbours do not sort their garbage', resident: resident() });
    expect((await post(caseId, 'acceptance', { decision: 'accept' })).status).toBe(200);
    const blown = await api(stack, 'POST', `/api/cases/${caseId}/whistles`, {
      token: tokens.staff,
      body: { reason: 'prominent-problem', urgency: 'urgent', summary: 'Bins overflow at the north gate', departments: ['housing'], lead: 'housing' },
    });
    expect({ status: blown.status, body: blown.body }).toMatchObject({ status: 201 });
    whistleId = blown.body.id;
  }, 120_000);

  /* ---------- 1. the API edge: every text field of every route ---------- */

  type Route = { route: string; method: string; path: () => string; token: () => string; base: unknown; multi: string[]; single: string[]; codes?: string[] };
  const task = { title: 'Repair', assignee: { kind: 'staff', id: 'wang' }, dueAt: '2030-01-01T10:00:00+08:00' };
  const bodies: Route[] = [
    {
      route: 'POST /api/cases',
      method: 'POST',
      path: () => '/api/cases',
      token: () => tokens.staff!,
      base: { serviceCode: 'home-plumbing-repair', demand: 'Pipe', deadlineClass: 'general', stationId: 'qianggen', resident: { name: 'Li', phone: '13800138000', address: 'Building 1' } },
      multi: ['#/demand'],
      single: ['#/resident/name', '#/resident/phone', '#/resident/address'],
      // Codes looked up in master data: a line break is an unknown code (422); control characters are refused (400).
      codes: ['#/serviceCode', '#/deadlineClass', '#/stationId'],
    },
    {
      route: 'acceptance',
      method: 'POST',
      path: () => `/api/cases/${caseId}/acceptance`,
      token: () => tokens.staff!,
      base: { decision: 'transfer', documents: ['ID card'], note: 'n', transferTo: { kind: 'agency', id: 'a1', name: 'Agency' } },
      multi: ['#/note'],
      single: ['#/documents/0', '#/transferTo/id', '#/transferTo/name'],
    },
    {
      route: 'diagnosis',
      method: 'POST',
      path: () => `/api/cases/${caseId}/diagnosis`,
      token: () => tokens.staff!,
      base: { findings: 'f', causes: 'c', resources: 'r', homeVisit: { date: '2026-11-24', staff: ['wang'], notes: 'n' } },
      multi: ['#/findings', '#/causes', '#/resources', '#/homeVisit/notes'],
      single: ['#/homeVisit/staff/0'],
    },
    {
      route: 'plan',
      method: 'POST',
      path: () => `/api/cases/${caseId}/plan`,
      token: () => tokens.staff!,
      base: { goals: ['Fixed'], tasks: [{ ...task, id: 'T1' }], reason: 'r' },
      multi: ['#/reason'],
      single: ['#/goals/0', '#/tasks/0/title', '#/tasks/0/id', '#/tasks/0/assignee/id'],
    },
    { route: 'task completion', method: 'POST', path: () => `/api/cases/${caseId}/tasks/T1/completion`, token: () => tokens.staff!, base: { outcome: 'done', note: 'n' }, multi: ['#/note'], single: [] },
    { route: 'pause', method: 'POST', path: () => `/api/cases/${caseId}/pause`, token: () => tokens.staff!, base: { reason: 'r' }, multi: ['#/reason'], single: [] },
    { route: 'resume', method: 'POST', path: () => `/api/cases/${caseId}/resume`, token: () => tokens.staff!, base: { documents: ['ID card'], note: 'n' }, multi: ['#/note'], single: ['#/documents/0'] },
    {
      route: 'closure',
      method: 'POST',
      path: () => `/api/cases/${caseId}/closure`,
      token: () => tokens.staff!,
      base: { resolution: 'transferred', summary: 's', reason: 'r', certificateNo: 'C1', transferTo: { kind: 'agency', name: 'Agency' } },
      multi: ['#/summary', '#/reason'],
      single: ['#/certificateNo', '#/transferTo/name'],
    },
    { route: 'evaluation', method: 'POST', path: () => `/api/cases/${caseId}/evaluation`, token: () => tokens.staff!, base: { rating: 'satisfied', via: 'call-back', comment: 'c' }, multi: ['#/comment'], single: [] },
    {
      route: 'deadline-extension',
      method: 'POST',
      path: () => `/api/cases/${caseId}/deadline-extension`,
      token: () => tokens.supervisor!,
      base: { clock: 'resolution', newDueAt: '2030-01-01T10:00:00+08:00', reason: 'r' },
      multi: ['#/reason'],
      single: ['#/clock'],
    },
    {
      route: 'blow a whistle',
      method: 'POST',
      path: () => `/api/cases/${caseId}/whistles`,
      token: () => tokens.staff!,
      base: { reason: 'emergency', urgency: 'urgent', summary: 's', location: 'l', departments: ['housing'], lead: 'housing', escalationId: 'E1' },
      multi: ['#/summary'],
      single: ['#/urgency', '#/location', '#/departments/0', '#/lead', '#/escalationId'],
    },
    { route: 'whistle dispute', method: 'POST', path: () => `/api/whistles/${whistleId}/dispute`, token: () => tokens.housing!, base: { reason: 'r' }, multi: ['#/reason'], single: [] },
    { route: 'whistle report', method: 'POST', path: () => `/api/whistles/${whistleId}/report`, token: () => tokens.housing!, base: { outcome: 'done', note: 'n' }, multi: ['#/note'], single: [] },
    { route: 'whistle feedback', method: 'POST', path: () => `/api/whistles/${whistleId}/feedback`, token: () => tokens.housing!, base: { score: 5, comment: 'c' }, multi: ['#/comment'], single: [] },
    {
      route: 'whistle rating',
      method: 'POST',
      path: () => `/api/whistles/${whistleId}/ratings`,
      token: () => tokens.staff!,
      base: { departmentId: 'housing', score: 5, comment: 'c' },
      multi: ['#/comment'],
      single: ['#/departmentId'],
    },
    {
      route: 'whistle decision',
      method: 'POST',
      path: () => `/api/whistles/${whistleId}/departments/housing/decision`,
      token: () => tokens.supervisor!,
      base: { decision: 'replace', replacement: 'water', newLead: 'water', note: 'n' },
      multi: ['#/note'],
      single: ['#/replacement', '#/newLead'],
    },
    { route: 'whistle closure', method: 'POST', path: () => `/api/whistles/${whistleId}/closure`, token: () => tokens.supervisor!, base: { reason: 'r' }, multi: ['#/reason'], single: [] },
    {
      route: 'partner reply',
      method: 'POST',
      path: () => '/api/partner-replies',
      token: () => tokens.housing!,
      base: { caseId: 'QG-20261123-0001', taskId: 'T1', status: 'declined', note: 'n' },
      multi: ['#/note'],
      single: ['#/caseId', '#/taskId'],
    },
    {
      route: 'register a partner',
      method: 'POST',
      path: () => '/api/partners',
      token: () => tokens.admin!,
      base: {
        id: 'poison-shop',
        kind: 'department',
        departmentId: 'housing',
        name: 'Shop',
        nameZh: '店',
        services: ['home-plumbing-repair'],
        channels: [
          { type: 'webhook', url: 'https://example.com/hook' },
          { type: 'email', address: 'a@example.com' },
          { type: 'sms', phone: '13800138000' },
        ],
      },
      multi: [],
      single: ['#/id', '#/name', '#/nameZh', '#/departmentId', '#/services/0', '#/channels/0/url', '#/channels/1/address', '#/channels/2/phone'],
    },
    { route: 'change a partner', method: 'PATCH', path: () => '/api/partners/anju-repair', token: () => tokens.admin!, base: { name: 'Anju', nameZh: '安居' }, multi: [], single: ['#/name', '#/nameZh'] },
    { route: 'mint a partner token', method: 'POST', path: () => '/api/partners/anju-repair/tokens', token: () => tokens.admin!, base: { ttl: '30d' }, multi: [], single: ['#/ttl'] },
    {
      route: 'import a calendar',
      method: 'PUT',
      path: () => '/api/calendar/2031',
      token: () => tokens.admin!,
      base: { source: 'State Council notice', days: [{ date: '2031-01-01', kind: 'holiday', name: "New Year's Day" }] },
      multi: [],
      single: ['#/source', '#/days/0/date', '#/days/0/name'],
    },
    {
      route: 'configure an urgency',
      method: 'PUT',
      path: () => '/api/whistle-urgencies/poison',
      token: () => tokens.admin!,
      base: { name: 'Poison', nameZh: '毒', checkInGoal: 1, checkInUnit: 'hours', reportGoal: 1, reportUnit: 'days' },
      multi: [],
      single: ['#/name', '#/nameZh'],
    },
  ];
  const fieldCases = bodies.flatMap((r) => [
    ...[...r.multi, ...(r.codes ?? [])].map((p) => ({ r, p, multi: true })),
    ...r.single.map((p) => ({ r, p, multi: false })),
  ]);

  it.each(fieldCases.map((f) => [`${f.r.route} ${f.p}`, f] as const))('%s: control characters → 400 naming the field', async (_label, { r, p, multi }) => {
    const refused = [...controls, ...(multi ? [] : lineBreaks)];
    for (const [name, ch] of refused) {
      const res = await api(stack, r.method, r.path(), { token: r.token(), body: withAt(r.base, p, `before${ch}after`) });
      try {
        expectProblem(res, 400, undefined, p, 'validation-failed');
      } catch (err) {
        throw new Error(`${r.route} ${p} with ${name}: ${res.status} ${JSON.stringify(res.body)}\n${String(err)}`);
      }
    }
  });

  const queries: { route: string; path: (v: string) => string; pointer: string }[] = [
    { route: 'GET /api/cases?stationId', path: (v) => `/api/cases?stationId=${encodeURIComponent(v)}`, pointer: '#/stationId' },
    { route: 'GET /api/cases?cursor', path: (v) => `/api/cases?cursor=${encodeURIComponent(v)}`, pointer: '#/cursor' },
    { route: 'GET /api/partners?service', path: (v) => `/api/partners?service=${encodeURIComponent(v)}`, pointer: '#/service' },
    { route: 'GET /api/whistles?cursor', path: (v) => `/api/whistles?cursor=${encodeURIComponent(v)}`, pointer: '#/cursor' },
    { route: 'GET /api/assessments/departments?from', path: (v) => `/api/assessments/departments?from=${encodeURIComponent(v)}&to=2030-01-01`, pointer: '#/from' },
  ];
  it.each(queries.map((q) => [q.route, q] as const))('%s: control characters in a query parameter → 400 naming it', async (_label, q) => {
    // A lone surrogate cannot be written in a URL (it has no UTF-8): every other character can.
    for (const [name, ch] of [...controls.filter(([n]) => !n.includes('surrogate')), ...lineBreaks]) {
      const res = await api(stack, 'GET', q.path(`x${ch}y`), { token: tokens.admin });
      try {
        expectProblem(res, 400, undefined, q.pointer);
      } catch (err) {
        throw new Error(`${q.route} with ${name}: ${res.status} ${JSON.stringify(res.body)}\n${String(err)}`);
      }
    }
  });

  it('over-limit text → 400 naming the field and the limit', async () => {
    const res = await api(stack, 'POST', '/api/cases', { token: tokens.staff, body: repair({ demand: 'x'.repeat(4001) }) });
    expectProblem(res, 400, /demand: .*4000/, '#/demand', 'validation-failed');
    const name = await api(stack, 'POST', '/api/cases', { token: tokens.staff, body: repair({ resident: resident({ name: '名'.repeat(101) }) }) });
    expectProblem(name, 400, /resident\/name: .*100/, '#/resident/name', 'validation-failed');
    const pause = await post(caseId, 'pause', { reason: 'r'.repeat(1001) });
    expectProblem(pause, 400, /reason: .*1000/, '#/reason', 'validation-failed');
  });

  it('after the refusals the case and the whistle are as actionable as before: the next update answers 200, a supervisor closes both', async () => {
    // Every refusal above came before Temporal: the whistle takes its check-in and its supervisor's closure.
    const checkIn = await api(stack, 'POST', `/api/whistles/${whistleId}/check-in`, { token: tokens.housing, body: {} });
    expect({ status: checkIn.status, body: checkIn.body }).toMatchObject({ status: 200 });
    const closed = await api(stack, 'POST', `/api/whistles/${whistleId}/closure`, { token: tokens.supervisor, body: { reason: 'Settled on site' } });
    expect({ status: closed.status, body: closed.body }).toMatchObject({ status: 200, body: { status: 'completed' } });
    const paused = await post(caseId, 'pause', { reason: 'Resident travelling' });
    expect({ status: paused.status, body: paused.body }).toMatchObject({ status: 200, body: { paused: true } });
    const closure = await post(caseId, 'closure', { resolution: 'unresolved', reason: 'Resident withdrew' }, tokens.supervisor);
    expect({ status: closure.status, body: closure.body }).toMatchObject({ status: 200, body: { resolution: 'unresolved' } });
  });

  /* ---------- 2. hostile but valid text: accepted, stored verbatim ---------- */

  it('emoji, SQL-ish strings, quotes, RTL text, full-width digits and 4000-character text are accepted and stored verbatim', async () => {
    const demand = `${multiLine}\n${'长'.repeat(4000 - multiLine.length - 1)}`;
    expect(demand).toHaveLength(4000);
    const who = resident({ name: `${hostile.emoji} ${hostile.rtl}`.slice(0, 100), address: hostile.sql });
    const id = await open({ serviceCode: 'home-plumbing-repair', demand, resident: who });
    const findings = `${multiLine}\n${'査'.repeat(4000 - multiLine.length - 1)}`;
    expect((await post(id, 'acceptance', { decision: 'accept', documents: [hostile.fullWidth, hostile.sql], note: multiLine })).status).toBe(200);
    expect((await post(id, 'diagnosis', { findings, causes: hostile.sql })).status).toBe(200);
    expect((await post(id, 'pause', { reason: hostile.sql })).status).toBe(200);

    // The read model (list and row) and the timeline hold exactly what was sent.
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
    expect(row!.demand).toBe(demand);
    expect(row!.resident).toEqual(who);
    const list = await api(stack, 'GET', '/api/cases?limit=100', { token: tokens.admin });
    expect(list.body.items.find((c: { id: string }) => c.id === id)?.demand).toBe(demand);
    const events = await timeline(stack, id);
    const data = (type: string) => events.find((e) => e.type === type)?.data as Record<string, unknown>;
    expect(data('case.accepted')).toMatchObject({ documents: [hostile.fullWidth, hostile.sql], note: multiLine });
    expect(data('case.diagnosed')).toMatchObject({ findings, causes: hostile.sql });
    expect(data('case.paused')).toEqual({ reason: hostile.sql });
    const v = await view(id);
    expect(v.body).toMatchObject({ demand, resident: who, diagnosis: { findings }, pause: { reason: hostile.sql } });
    expect(v.body.projectionFailures ?? []).toEqual([]);
  });

  it('full-width digits in a phone number are normalised (NFKC) to ASCII digits, and the repeat rule still matches the resident', async () => {
    const first = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'home-plumbing-repair', demand: 'Bathroom tap drips', resident: { name: 'Full Width', phone: '＋８６ １３９－０００９－９９９９' } },
    });
    expect(first.status).toBe(201);
    await eventually(async () => (await view(first.body.id)).body.timeline?.length >= 2, 20_000, 'the first case to be recorded');
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, first.body.id));
    expect(row!.resident.phone).toBe('+86 139-0009-9999');
    const again = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'home-plumbing-repair', demand: 'Bathroom tap drips', resident: { name: 'Somebody', phone: '+86 13900099999' } },
    });
    expect({ status: again.status, body: again.body }).toMatchObject({ status: 200, body: { repeated: true, repeatOf: first.body.id } });
    // Full-width free text is text, not a number: kept as typed.
    expectProblem(
      await api(stack, 'POST', '/api/cases', { token: tokens.staff, body: repair({ resident: resident({ phone: '１３９abc' }) }) }),
      400,
      undefined,
      '#/resident/phone',
    );
  });

  /* ---------- 3. past the API: a NUL sent straight to the workflow ---------- */

  const secret = { name: 'Qian Secretname', phone: '13987654321' };
  const noResidentDataInLogs = () => {
    const logs = [...stack.logLines, ...sdkLines].join('\n');
    // The worker's log of the refused write is captured (so its absence of resident data means something).
    expect(sdkLines.join('\n')).toMatch(/"activityType":"record\w+".*"error":\{"type":"ProjectionRejected",.*"nonRetryable":true,"details":\[\{"code":"22\w{3}"/);
    expect(logs).not.toContain(secret.name);
    expect(logs).not.toContain(secret.phone);
  };
  const failedWrites = async (id: string) =>
    (await timeline(stack, id)).filter((e) => e.type === 'timeline.write-failed').map((e) => e.data as Record<string, unknown>);

  it('a command with a NUL sent to the workflow directly: the write fails once and visibly, the case keeps moving, the logs hold no resident data', async () => {
    const id = await open(repair({ resident: { ...secret, address: 'Building 9' } }));
    const h = stack.client.workflow.getHandle(caseWorkflowId(id));
    // Bypassing the API: the update is taken (the workflow's rules allow a pause) and answers.
    const state = await act(h, pauseUpdate, { reason: 'Resident\u0000travelling' }, staffActor);
    expect(state.paused).toBeDefined();
    const marker = await eventually(async () => (await failedWrites(id))[0], 20_000, 'the write-failed marker');
    expect(marker).toEqual({ failedSeq: expect.any(Number), failedType: 'case.paused', code: '22P05' });
    expect((await timeline(stack, id)).find((e) => e.seq === marker.failedSeq)).toBeUndefined();
    // The case answers its next update at once, and shows what could not be written.
    const resumed = await post(id, 'resume', { note: 'Back home' });
    expect({ status: resumed.status, body: resumed.body }).toMatchObject({ status: 200, body: { paused: false } });
    expect((await post(id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    const v = await view(id);
    expect(v.body.projectionFailures).toEqual([{ seq: marker.failedSeq, type: 'case.paused', at: expect.any(String), code: '22P05' }]);
    expect(v.body.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['timeline.write-failed', 'case.resumed', 'case.accepted']));
    // A second one in a multi-line field, then a supervisor closes the case.
    await act(h, diagnoseUpdate, { findings: 'Corroded\u0000pipe' }, staffActor);
    await eventually(async () => (await failedWrites(id)).length === 2, 20_000, 'the second marker');
    const closure = await post(id, 'closure', { resolution: 'unresolved', reason: 'Resident withdrew' }, tokens.supervisor);
    expect({ status: closure.status, body: closure.body }).toMatchObject({ status: 200, body: { resolution: 'unresolved' } });
    noResidentDataInLogs();
  });

  it('a case started with a NUL in its demand and resident name reaches the read model and the list, with the failure marked', async () => {
    const id = 'QG-20261201-9001';
    const h = await stack.client.workflow.start(caseWorkflow, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: caseWorkflowId(id),
      args: [caseInput(id, { openedAt: new Date().toISOString(), demand: 'Leak\u0000ing', resident: { name: `${secret.name}\u0000`, phone: secret.phone } })],
    });
    await eventually(async () => (await h.query(caseStateQuery)).recorded, 20_000, 'the opening to be recorded');
    const [row] = await eventually(async () => {
      const rows = await stack.database.db.select().from(cases).where(eq(cases.id, id));
      return rows.length ? rows : undefined;
    }, 20_000, 'the case row');
    // What PostgreSQL cannot hold is replaced (U+FFFD), visibly; everything else is kept.
    expect(row!.demand).toBe('Leak\ufffding');
    expect(row!.resident).toEqual({ name: `${secret.name}\ufffd`, phone: secret.phone });
    expect(await failedWrites(id)).toEqual([{ failedSeq: 0, failedType: 'case.opened', code: expect.stringMatching(/^22/) }]);
    const list = await api(stack, 'GET', '/api/cases?limit=100', { token: tokens.admin });
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(id);
    expect((await post(id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    const closure = await post(id, 'closure', { resolution: 'unresolved', reason: 'Opened by mistake' }, tokens.supervisor);
    expect({ status: closure.status, body: closure.body }).toMatchObject({ status: 200, body: { resolution: 'unresolved' } });
    noResidentDataInLogs();
  });

  it('a whistle blown and reported with a NUL past the API: its writes fail visibly, it keeps taking updates and completes, the case moves on', async () => {
    const id = await open({ serviceCode: 'garbage-sorting-complaint', demand: 'Bins', resident: { ...secret, phone: '13987654322' } });
    expect((await post(id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    const h = stack.client.workflow.getHandle(caseWorkflowId(id));
    const blown = (await act(h, blowWhistleUpdate, whistleRequest(['housing'], 'housing', urgentRules, { summary: 'Bins\u0000overflow', location: 'Gate\u0000' }), staffActor)) as unknown as {
      whistleId: string;
    };
    const w = stack.client.workflow.getHandle(whistleWorkflowId(blown.whistleId));
    const whistleMarkers = async () => (await whistleTimeline(stack, blown.whistleId)).filter((e) => e.type === 'timeline.write-failed');
    await eventually(async () => (await whistleMarkers()).length >= 1, 20_000, "the whistle's first marker");
    // The whistle's read model exists (its text made storable), so the department's API calls find it.
    const checkIn = await api(stack, 'POST', `/api/whistles/${blown.whistleId}/check-in`, { token: tokens.housing, body: {} });
    expect({ status: checkIn.status, body: checkIn.body }).toMatchObject({ status: 200 });
    await asDepartment(w, reportUpdate, 'housing', { outcome: 'done', note: 'Cleared\u0000' });
    // The completion carried the note: the case hears of it (its own write of the note fails visibly too).
    await eventually(async () => (await failedWrites(id)).some((m) => m.failedType === 'whistle.settled'), 20_000, 'the case to settle the whistle');
    expect((await whistleMarkers()).map((e) => (e.data as { failedType: string }).failedType)).toEqual(
      expect.arrayContaining(['whistle.notified', 'whistle.reported', 'whistle.completed']),
    );
    const wv = await api(stack, 'GET', `/api/whistles/${blown.whistleId}`, { token: tokens.supervisor });
    expect({ status: wv.status, body: wv.body }).toMatchObject({ status: 200, body: { status: 'completed' } });
    // The whistle's view names the refused writes as the case's does.
    expect(wv.body.projectionFailures.map((f: { type: string }) => f.type)).toEqual(expect.arrayContaining(['whistle.notified', 'whistle.reported', 'whistle.completed']));
    const closure = await post(id, 'closure', { resolution: 'unresolved', reason: 'Bins emptied daily now' }, tokens.supervisor);
    expect({ status: closure.status, body: closure.body }).toMatchObject({ status: 200, body: { resolution: 'unresolved' } });
    const [row] = await stack.database.db.select().from(cases).where(and(eq(cases.id, id)));
    expect(row!.resolution).toBe('unresolved');
    noResidentDataInLogs();
  });
});

describe('projection errors: what is retried, what is not, and what the message carries', () => {
  /** A database error as drizzle wraps it: its message holds the query's parameters, the cause the SQLSTATE. */
  const wrapped = (code: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`Failed query: insert into "cases" … params: QG-1,{"name":"${'Qian Secretname'}","phone":"13987654321"}`), {
      cause: Object.assign(new Error('unsupported Unicode escape sequence'), { code, severity: 'ERROR', ...extra }),
    });

  it.each(['22P05', '22021', '22001', '23503', '23505', '42703', '21000', '54000'])('SQLSTATE %s can never succeed: non-retryable ProjectionRejected', (code) => {
    const f = projectionFailure(wrapped(code), 'event 3 (case.paused) of case QG-1');
    expect({ type: f.type, nonRetryable: f.nonRetryable, details: f.details }).toEqual({
      type: 'ProjectionRejected',
      nonRetryable: true,
      details: [{ code, what: 'event 3 (case.paused) of case QG-1' }],
    });
    expect(f.message).toBe(`the database refused event 3 (case.paused) of case QG-1 (SQLSTATE ${code}); not retried`);
    expect(f.cause).toBeUndefined();
  });

  it.each(['57P01', '40001', '40P01', '53300', '08006', 'XX000'])('SQLSTATE %s is transient: retried, without the parameters', (code) => {
    const f = projectionFailure(wrapped(code), 'event 3 (case.paused) of case QG-1');
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: 'ProjectionUnavailable', nonRetryable: false });
    expect(f.message).toBe(`could not write event 3 (case.paused) of case QG-1 (SQLSTATE ${code}); retrying`);
    expect(JSON.stringify([f.message, f.details, f.cause])).not.toMatch(/Secretname|13987654321/);
  });

  it('connection errors (Node codes, EPIPE included) are transient', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE']) {
      const err = Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
      const f = projectionFailure(Object.assign(new Error('Failed query: … params: Qian Secretname'), { cause: err }), 'x');
      expect({ nonRetryable: f.nonRetryable, message: f.message }).toEqual({ nonRetryable: false, message: `could not write x (${code}); retrying` });
    }
  });

  it('storable replaces only NUL and lone surrogates, everywhere in the value', () => {
    expect(storable({ a: 'x\u0000y', b: ['\ud800', '😀'], c: 1, d: null, e: 'é\u0007' })).toEqual({ a: 'x\ufffdy', b: ['\ufffd', '😀'], c: 1, d: null, e: 'é\u0007' });
  });
});
