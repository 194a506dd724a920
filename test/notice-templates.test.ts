import { type NoticeContext, renderEmail, renderSms, SMS_MAX_ZH } from '../activities/delivery/templates';
import { noticeLocales } from '../db/schema';
import { eventTypes } from '../workflows/shared/events';
import { type NoticeKind, noticeKinds } from '../workflows/shared/notices';

/**
 * Every notice kind, in both locales, has texts of its own (not the generic fallback) that name the case,
 * fit an SMS and show nothing of the resident's person, even when the context holds it. No server.
 */

/**
 * The code limits zh-CN only (renderSms shortens nothing in English); the English texts fit one GSM-7
 * segment, except task.assigned, whose title and address are printed whole (166 characters here).
 */
const SMS_MAX_EN = 160;
const englishUnbounded = new Set<NoticeKind>(['task.assigned']);
const caseId = 'QG-20261123-0042';
const due = '2026-11-23T06:30:00.000Z';
const later = '2026-11-24T06:30:00.000Z';

/** What the resident is; none of it may appear in a notice (the address only where the receiver goes there). */
const resident = { name: '张秀兰', phone: '13912345678', address: '前根胡同5号楼2单元301室', idNumber: '110102195203150027' };
/** The kinds whose receiver goes to the resident's home: the delivery activity gives them the address. */
const carriesAddress = new Set<NoticeKind>(['task.assigned', 'case.transferred']);

/** One notification's data per kind, as the workflows send it. A new kind without an entry does not compile. */
const sample: Record<NoticeKind, Record<string, unknown>> = {
  'task.assigned': { taskId: 'T1', title: '厨房水管漏水维修', dueAt: due, serviceCode: 'home-plumbing-repair' },
  'task.declined': { taskId: 'T1', title: '厨房水管漏水维修', by: { kind: 'partner', id: 'anju-repair' }, note: '本周无空闲师傅' },
  'commitment.warning': { clock: 'task:T1', kind: 'task', taskId: 'T1', dueAt: due, percent: 75 },
  'commitment.breached': { clock: 'resolution', kind: 'resolution', dueAt: due },
  'commitment.extended': { clock: 'task:T1', from: due, to: later },
  'case.transferred': { serviceCode: 'legal-consultation', demand: '押金纠纷，需法律咨询', note: '需律师' },
  'case.result': { resolution: 'unresolved', summary: '已联系房东', certificateNo: 'ZM-2026-0042' },
  'case.progress': { stage: 'coordinate', nextDueAt: due, overdue: false },
  'callback.due': { dueAt: due },
  'case.reopened': { dueAt: later },
  'escalation.proposed': { escalationId: 'E1' },
  'partner.unreachable': { notificationId: '0b5e4a52-7c1d-4c8f-9d7e-2f1a3b4c5d6e', recipient: { kind: 'department', id: 'housing' }, kind: 'whistle.called', round: 2, channels: [] },
  'whistle.settled': { whistleId: 'W-3', outcome: 'closed' },
  'case.urged': { target: 'task', taskId: 'T1', party: { kind: 'partner', id: 'anju-repair' }, count: 2, reason: '居民已等待九天', dueAt: due },
  'case.reassigned': { from: 'staff-li', to: 'staff-wang', reason: '原负责人休假' },
  'task.reassigned': { taskId: 'T1', from: { kind: 'partner', id: 'anju-repair' }, to: { kind: 'partner', id: 'jiajia' } },
  'case.withdrawn': { resolution: 'withdrawn', kind: 'resident-withdrew', taskId: 'T1' },
  'whistle.called': {
    whistleId: 'W-3',
    departmentId: 'civil-affairs',
    role: 'co-handler',
    checkInDueAt: due,
    reportDueAt: later,
    reason: 'joint-enforcement',
    urgency: 'normal',
    summary: '违规群租整治',
    location: '前根胡同北口',
  },
  'whistle.reminder': { whistleId: 'W-3', departmentId: 'civil-affairs', duty: 'report', dueAt: later, percent: 75 },
  'whistle.check-in-missed': { whistleId: 'W-3', departmentId: 'civil-affairs', duty: 'check-in', dueAt: due },
  'whistle.report-overdue': { whistleId: 'W-3', departmentId: 'civil-affairs', duty: 'report', dueAt: later },
  'whistle.disputed': { whistleId: 'W-3', departmentId: 'civil-affairs' },
  'whistle.dispute-refused': { whistleId: 'W-3', checkInDueAt: due, reportDueAt: later },
  'whistle.released': { whistleId: 'W-3' },
  'whistle.lead-assigned': { whistleId: 'W-3' },
  'whistle.co-handler-reported': { whistleId: 'W-3', departmentId: 'civil-affairs', outcome: 'cannot' },
  'whistle.completed': { whistleId: 'W-3', outcome: 'done' },
};

/** A context as the delivery activity builds it, plus the resident's person slipped into the data. */
const context = (kind: NoticeKind, address?: string): NoticeContext => ({
  notificationId: '5f0c2d1e-8a9b-4c3d-9e7f-1a2b3c4d5e6f',
  kind,
  caseId,
  serviceName: '家庭水管维修',
  recipientName: '新街口街道民政科',
  data: { ...sample[kind], resident, residentName: resident.name, phone: resident.phone, idNumber: resident.idNumber },
  address,
});

/** What the generic notice for an unlisted kind says (it names the kind's code). */
const fallbackMarks = [/有一条新通知（类型/, /有新通知（/, /There is a new notice \(/, /New notice \(/, /^通知：/, /^Notice: /];

describe('every notice kind has its own texts', () => {
  it('lists each notice kind and each event type once', () => {
    expect(new Set(noticeKinds).size).toBe(noticeKinds.length);
    expect(new Set(eventTypes).size).toBe(eventTypes.length);
  });

  describe.each(noticeKinds.map((kind) => ({ kind })))('$kind', ({ kind }) => {
    it.each(noticeLocales)('renders in %s: names the case, is not the fallback, fits an SMS, shows nothing of the resident', (locale) => {
      const c = context(kind, resident.address);
      const mail = renderEmail(c, locale);
      const sms = renderSms(c, locale);
      const all = [mail.subject, mail.text, mail.html, sms];
      for (const text of all) {
        expect(text.trim()).not.toBe('');
        expect(text).toContain(caseId);
        expect(text).not.toMatch(/undefined|null|NaN|\[object/);
        for (const mark of fallbackMarks) expect(text).not.toMatch(mark);
        // The generic notice names the kind's code; a notice of its own says what happened in words.
        expect(text).not.toContain(kind);
        for (const value of [resident.name, resident.phone, resident.idNumber]) expect(text).not.toContain(value);
      }
      if (locale === 'zh-CN') expect([...sms].length).toBeLessThanOrEqual(SMS_MAX_ZH);
      else if (!englishUnbounded.has(kind)) expect([...sms].length).toBeLessThanOrEqual(SMS_MAX_EN);
      if (!carriesAddress.has(kind)) for (const text of all) expect(text).not.toContain(resident.address);
    });
  });

  it('shows the address only to a receiver who goes there, and only when given', () => {
    for (const locale of noticeLocales) expect(renderEmail(context('task.assigned', resident.address), locale).text).toContain(resident.address);
    for (const kind of carriesAddress) {
      for (const locale of noticeLocales) {
        const without = context(kind);
        for (const text of [renderEmail(without, locale).text, renderEmail(without, locale).html, renderSms(without, locale)]) {
          expect(text).not.toContain(resident.address);
        }
      }
    }
  });
});
