import { and, eq } from 'drizzle-orm';
import { deadlineClasses, notifications } from '../db/schema';
import { acceptUpdate, diagnoseUpdate, planUpdate } from '../workflows/case/messages';
import { act, inMinutes, notificationsOf, openCase } from './helpers/cases';
import { generalRules } from './helpers/fixtures';
import { addPartner } from './helpers/partners';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Supervisors belong to the subdistrict: breach urging (督办), a proposed escalation and a dead letter all
 * go to supervisor:<subdistrict> — for a case opened through the API (it carries its subdistrict) and for a
 * case started before it did (the notify activity maps its station to the subdistrict).
 */
describe('every supervisor notice goes to the subdistrict’s supervisors', () => {
  let receiver: Receiver;
  const supervisorKinds = ['commitment.breached', 'escalation.proposed', 'partner.unreachable'];

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  const { stack } = useStack({ delivery: { timeoutMs: 1_000, retryWindowMs: 3_000, initialIntervalMs: 200, maximumIntervalMs: 500 } }, { timeout: 120_000 });
  beforeAll(async () => {
    // Resolution due 6 s after opening, escalated on breach.
    await stack.database.db.insert(deadlineClasses).values({
      code: 'test-escalating',
      name: 'Test: six seconds, escalated',
      nameZh: '测试',
      responseGoal: 60,
      responseUnit: 'minutes',
      resolutionGoal: 0.1,
      resolutionUnit: 'minutes',
      escalateOnBreach: true,
    });
    // A partner whose only channel refuses every notice (400: given up at once): a dead letter.
    receiver.script('/hooks/refusing', Array(20).fill(400));
    await addPartner(stack, 'refusing', [{ type: 'webhook', url: receiver.url('/hooks/refusing') }]);
  }, 120_000);
  // After the stack's own afterAll (hooks run in the order they are declared): the stack stops first.
  afterAll(async () => {
    await receiver?.close();
  });

  /** The case's supervisor notices, once all three kinds are there. */
  const supervisorNotices = (caseId: string) =>
    eventually(async () => {
      const all = (await notificationsOf(stack, caseId)).filter((n) => n.recipientKind === 'supervisor');
      return supervisorKinds.every((k) => all.some((n) => n.kind === k)) && all;
    }, 30_000, `the supervisor notices of ${caseId}`);
  const task = { title: 'Replace the sink trap', assignee: { kind: 'partner' as const, id: 'refusing' }, dueAt: inMinutes(240) };

  it('a case opened over HTTP: breach, escalation and dead letter reach supervisor:xinjiekou', async () => {
    const staff = await stack.token({ role: 'staff', station: 'qianggen', sub: 'wang' });
    const opened = await api(stack, 'POST', '/api/cases', {
      token: staff,
      body: { serviceCode: 'legal-consultation', deadlineClass: 'test-escalating', demand: 'Lease question', resident: { name: 'Notice Resident', phone: '13700009902' } },
    });
    expect(opened.status).toBe(201);
    const id: string = opened.body.id;
    const post = async (step: string, body: unknown) => {
      // Straight after the 201: the case can be acted on at once.
      const res = await api(stack, 'POST', `/api/cases/${id}/${step}`, { token: staff, body });
      expect({ step, status: res.status }).toEqual({ step, status: 200 });
    };
    await post('acceptance', { decision: 'accept', documents: [] });
    await post('diagnosis', { findings: 'The trap is cracked' });
    await post('plan', { goals: ['Water tight'], tasks: [task] });

    const notices = await supervisorNotices(id);
    expect(notices.map((n) => `${n.recipientKind}:${n.recipientId}`)).toEqual(notices.map(() => 'supervisor:xinjiekou'));
  });

  it('a case started without its subdistrict (before the change): the same notices reach supervisor:xinjiekou', async () => {
    const id = 'QG-20261123-0951';
    const h = await openCase(stack, id, { rules: { ...generalRules, resolutionGoal: 0.1, resolutionUnit: 'minutes', escalateOnBreach: true } });
    await act(h, acceptUpdate, { decision: 'accept', documents: [] });
    await act(h, diagnoseUpdate, { findings: 'The trap is cracked' });
    await act(h, planUpdate, { goals: ['Water tight'], tasks: [task] });

    const notices = await supervisorNotices(id);
    expect(notices.map((n) => `${n.recipientKind}:${n.recipientId}`)).toEqual(notices.map(() => 'supervisor:xinjiekou'));
  });

  it('nothing went to the supervisors of a station', async () => {
    const toStation = await stack.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.recipientKind, 'supervisor'), eq(notifications.recipientId, 'qianggen')));
    expect(toStation).toEqual([]);
  });
});
