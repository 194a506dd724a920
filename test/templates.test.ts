import { escapeHtml, formatTime, type NoticeContext, noticeKinds, renderEmail, renderSms, SMS_MAX_ZH } from '../activities/delivery/templates';
import { noticeLocales } from '../db/schema';

/** 2026-11-23 14:30 and the next day's 14:30 in Beijing (UTC+8). */
const due = '2026-11-23T06:30:00.000Z';
const later = '2026-11-24T06:30:00.000Z';
const dueZh = '2026年11月23日 14:30';
const dueEn = '23 Nov 2026, 14:30 (Beijing time)';
const laterZh = '2026年11月24日 14:30';
const laterEn = '24 Nov 2026, 14:30 (Beijing time)';
const caseId = 'QG-20261123-0001';

const ctx = (kind: string, data: Record<string, unknown>, extra: Partial<NoticeContext> = {}): NoticeContext => ({
  notificationId: '0b5e4a52-7c1d-4c8f-9d7e-2f1a3b4c5d6e',
  kind,
  caseId,
  recipientName: 'Anju Home Repair Co.',
  data: { caseId, ...data },
  ...extra,
});

/** For each covered kind: its data and what each locale's email must say (subject or body). */
const cases: { kind: string; data: Record<string, unknown>; extra?: Partial<NoticeContext>; zh: string[]; en: string[] }[] = [
  {
    kind: 'task.assigned',
    data: { taskId: 'T1', title: 'Fix the kitchen pipe', dueAt: due, serviceCode: 'home-plumbing-repair' },
    extra: { serviceName: 'Home plumbing repair', address: 'Building 5, Unit 2', replyUrl: 'https://stationflow.example/api/partner/replies' },
    zh: ['Fix the kitchen pipe', dueZh, caseId, 'T1', 'Home plumbing repair', 'Building 5, Unit 2', '接受', '拒绝', '完成', 'https://stationflow.example/api/partner/replies'],
    en: ['Fix the kitchen pipe', dueEn, caseId, 'T1', 'Home plumbing repair', 'Building 5, Unit 2', 'accepted', 'declined', 'done', 'https://stationflow.example/api/partner/replies'],
  },
  {
    kind: 'commitment.warning',
    data: { clock: 'task:T1', kind: 'task', taskId: 'T1', dueAt: due, percent: 75 },
    zh: ['75%', dueZh, caseId, '任务 T1', '时限预警'],
    en: ['75%', dueEn, caseId, 'task T1', 'Deadline warning'],
  },
  {
    kind: 'commitment.breached',
    data: { clock: 'task:T1', kind: 'task', taskId: 'T1', dueAt: due },
    zh: [dueZh, caseId, '任务 T1', '超时'],
    en: [dueEn, caseId, 'task T1', 'Deadline missed'],
  },
  {
    kind: 'commitment.extended',
    data: { clock: 'task:T1', from: due, to: later },
    zh: [dueZh, laterZh, caseId, '任务 T1', '延长'],
    en: [dueEn, laterEn, caseId, 'task T1', 'extended'],
  },
  {
    kind: 'case.transferred',
    data: { serviceCode: 'legal-consultation', demand: 'Dispute with the landlord over the deposit', note: 'Needs a lawyer' },
    extra: { recipientName: 'Xicheng Legal Aid Centre', serviceName: 'Legal consultation' },
    zh: ['转办', caseId, 'Xicheng Legal Aid Centre', 'Dispute with the landlord over the deposit', 'Needs a lawyer', 'Legal consultation'],
    en: ['Transferred', caseId, 'Xicheng Legal Aid Centre', 'Dispute with the landlord over the deposit', 'Needs a lawyer', 'Legal consultation'],
  },
  {
    kind: 'whistle.called',
    data: {
      whistleId: 'W-1',
      departmentId: 'civil-affairs',
      role: 'lead',
      checkInDueAt: due,
      reportDueAt: later,
      reason: 'prominent-problem',
      urgency: 'urgent',
      summary: 'Blocked manhole overflowing into the courtyard',
      location: 'Building 5, north gate',
    },
    extra: { recipientName: 'Civil Affairs' },
    zh: ['吹哨', '报到', dueZh, laterZh, caseId, 'W-1', 'Blocked manhole overflowing into the courtyard', 'Building 5, north gate', '牵头部门', '紧急'],
    en: ['whistle', 'check in', dueEn, laterEn, caseId, 'W-1', 'Blocked manhole overflowing into the courtyard', 'Building 5, north gate', 'lead department', 'urgent'],
  },
  {
    kind: 'whistle.reminder',
    data: { whistleId: 'W-1', departmentId: 'civil-affairs', duty: 'check-in', dueAt: due, percent: 50 },
    zh: ['提醒', '报到', '50%', dueZh, caseId],
    en: ['reminder', 'check in', '50%', dueEn, caseId],
  },
  {
    kind: 'whistle.check-in-missed',
    data: { whistleId: 'W-1', departmentId: 'civil-affairs', duty: 'check-in', dueAt: due },
    zh: ['未按时报到', dueZh, caseId, '立即报到'],
    en: ['Check-in missed', dueEn, caseId, 'check in now'],
  },
  {
    kind: 'whistle.report-overdue',
    data: { whistleId: 'W-1', departmentId: 'civil-affairs', duty: 'report', dueAt: due },
    zh: ['报告逾期', dueZh, caseId],
    en: ['Report overdue', dueEn, caseId],
  },
  {
    kind: 'whistle.completed',
    data: { whistleId: 'W-1', outcome: 'partly-done' },
    zh: ['已完成', '部分办结', caseId],
    en: ['complete', 'partly done', caseId],
  },
  {
    kind: 'task.declined',
    data: { taskId: 'T1', title: 'Fix the kitchen pipe', by: { kind: 'partner', id: 'anju-repair' }, note: 'No plumber free this week' },
    extra: { recipientName: 'Wang Fang (case owner)' },
    zh: ['任务退回', '拒绝', caseId, 'T1', 'Fix the kitchen pipe', 'No plumber free this week', '另行派单'],
    en: ['Task declined', caseId, 'T1', 'Fix the kitchen pipe', 'No plumber free this week', 'assign it anew'],
  },
  {
    kind: 'callback.due',
    data: { dueAt: due },
    zh: ['回访', dueZh, caseId, '满意度评价'],
    en: ['Call-back due', dueEn, caseId, 'record the rating'],
  },
  {
    kind: 'case.reopened',
    data: { dueAt: later },
    zh: ['重办', '不满意', laterZh, caseId],
    en: ['reopened', 'not satisfied', laterEn, caseId],
  },
  {
    kind: 'escalation.proposed',
    data: { escalationId: 'E1' },
    zh: ['吹哨', '超过办结时限', 'E1', caseId],
    en: ['Whistle proposed', 'resolution deadline', 'E1', caseId],
  },
  {
    kind: 'partner.unreachable',
    data: { notificationId: '7d9c4a52-0000-4c8f-9d7e-2f1a3b4c5d6e', recipient: { kind: 'partner', id: 'anju-repair' }, kind: 'task.assigned', round: 1, channels: [] },
    zh: ['未送达', 'anju-repair', '7d9c4a52-0000-4c8f-9d7e-2f1a3b4c5d6e', caseId, '重新发送'],
    en: ['not delivered', 'anju-repair', '7d9c4a52-0000-4c8f-9d7e-2f1a3b4c5d6e', caseId, 'retry'],
  },
  {
    kind: 'whistle.settled',
    data: { whistleId: 'W-1', outcome: 'done' },
    zh: ['吹哨事项已完成', '已办结', 'W-1', caseId, '继续办理'],
    en: ['Whistle settled', 'done', 'W-1', caseId, 'carry on'],
  },
  {
    kind: 'case.result',
    data: { resolution: 'resolved', summary: 'Pipe replaced', certificateNo: 'C-1' },
    zh: ['办结', '已解决', caseId],
    en: ['closed', 'resolved', caseId],
  },
  {
    kind: 'case.progress',
    data: { stage: 'execute', nextDueAt: due, overdue: true },
    zh: ['进度', '办理', dueZh, '督办', caseId],
    en: ['progress', 'execution', dueEn, 'overdue', caseId],
  },
  {
    kind: 'whistle.disputed',
    data: { whistleId: 'W-1', departmentId: 'civil-affairs' },
    extra: { recipientName: 'Xinjiekou Subdistrict supervisors' },
    zh: ['异议', 'civil-affairs', '暂停', '裁定', 'W-1', caseId],
    en: ['Dispute', 'civil-affairs', 'paused', 'decide', 'W-1', caseId],
  },
  {
    kind: 'whistle.dispute-refused',
    data: { whistleId: 'W-1', checkInDueAt: due, reportDueAt: later },
    extra: { recipientName: 'Civil Affairs' },
    zh: ['异议未予采纳', dueZh, laterZh, 'W-1', caseId],
    en: ['not upheld', dueEn, laterEn, 'W-1', caseId],
  },
  {
    kind: 'whistle.released',
    data: { whistleId: 'W-1', replacedBy: 'housing' },
    extra: { recipientName: 'Civil Affairs' },
    zh: ['解除派单', 'housing', 'W-1', caseId],
    en: ['Released', 'housing', 'W-1', caseId],
  },
  {
    kind: 'whistle.lead-assigned',
    data: { whistleId: 'W-1' },
    extra: { recipientName: 'Housing' },
    zh: ['牵头', 'W-1', caseId],
    en: ['leads', 'W-1', caseId],
  },
  {
    kind: 'whistle.co-handler-reported',
    data: { whistleId: 'W-1', departmentId: 'housing', outcome: 'done' },
    extra: { recipientName: 'Civil Affairs' },
    zh: ['协办', 'housing', '已办结', 'W-1', caseId],
    en: ['Co-handler', 'housing', 'done', 'W-1', caseId],
  },
  {
    kind: 'case.urged',
    data: { target: 'task', taskId: 'T2', count: 3, reason: 'Resident waited nine days', dueAt: '2026-11-23T06:30:00Z' },
    extra: { recipientName: 'Housing' },
    zh: ['督办', 'T2', '第 3 次', 'Resident waited nine days', '2026年11月23日 14:30', caseId],
    en: ['Urged', 'T2', 'time 3', 'Resident waited nine days', '23 Nov 2026, 14:30', caseId],
  },
  {
    kind: 'case.reassigned',
    data: { from: 'wang', to: 'li' },
    extra: { recipientName: 'li' },
    zh: ['交由您', 'wang', caseId],
    en: ['owner', 'wang', caseId],
  },
  {
    kind: 'task.reassigned',
    data: { taskId: 'T1', from: { kind: 'department', id: 'housing' }, to: { kind: 'department', id: 'water' } },
    extra: { recipientName: 'Housing' },
    zh: ['改派', 'T1', caseId],
    en: ['reassigned', 'T1', caseId],
  },
  {
    kind: 'case.withdrawn',
    data: { resolution: 'cancelled', kind: 'duplicate', taskId: 'T1' },
    extra: { recipientName: 'Anju' },
    zh: ['撤销', 'T1', caseId],
    en: ['cancelled', 'T1', caseId],
  },
];

describe('notice templates', () => {
  it('covers every kind the delivery workflow pushes', () => {
    expect([...noticeKinds].sort()).toEqual(cases.map((c) => c.kind).sort());
  });

  describe.each(cases)('$kind', ({ kind, data, extra, zh, en }) => {
    it.each(noticeLocales)('renders in %s with its key values in the subject, text, html and SMS', (locale) => {
      const c = ctx(kind, data, extra);
      const mail = renderEmail(c, locale);
      const whole = `${mail.subject}\n${mail.text}`;
      for (const value of locale === 'zh-CN' ? zh : en) expect(whole).toContain(value);
      for (const value of locale === 'zh-CN' ? zh : en) expect(mail.html).toContain(escapeHtml(value));
      expect(mail.subject).toContain(caseId);
      expect(mail.text).toContain(c.recipientName);
      expect(mail.text).toContain(c.notificationId);
      expect(mail.subject).not.toMatch(/undefined|null|NaN|\?%/);
      expect(whole).not.toMatch(/undefined|null|NaN|\[object/);
      const sms = renderSms(c, locale);
      expect(sms).toContain(caseId);
      expect(sms).not.toMatch(/undefined|null|NaN/);
      if (locale === 'zh-CN') expect([...sms].length).toBeLessThanOrEqual(SMS_MAX_ZH);
    });
  });

  it('formats times in Asia/Shanghai, whatever the machine’s time zone', () => {
    expect(formatTime('2026-11-23T06:30:00Z', 'zh-CN')).toBe('2026年11月23日 14:30');
    expect(formatTime('2026-11-23T06:30:00Z', 'en')).toBe('23 Nov 2026, 14:30 (Beijing time)');
    // Past midnight in Beijing is the next day; 16:05 UTC is 00:05, never 24:05.
    expect(formatTime('2026-12-31T16:05:00Z', 'zh-CN')).toBe('2027年1月1日 00:05');
    expect(formatTime('2026-12-31T16:05:00Z', 'en')).toBe('1 Jan 2027, 00:05 (Beijing time)');
    expect(formatTime('2026-09-30T04:00:00+08:00', 'en')).toBe('30 Sep 2026, 04:00 (Beijing time)');
    expect(formatTime('not a time', 'en')).toBe('not a time');
  });

  it('task.assigned tells how to reply with the case id and the task id, and where when there is a reply URL', () => {
    const c = ctx('task.assigned', { taskId: 'T2', title: 'Visit', dueAt: due }, { replyUrl: 'https://sf.example/api/replies' });
    expect(renderEmail(c, 'en').text).toMatch(/accepted, declined or done, quoting case QG-20261123-0001 and task T2/);
    expect(renderEmail(c, 'en').text).toContain('POST');
    expect(renderEmail(c, 'zh-CN').text).toMatch(/案件编号 QG-20261123-0001 和任务编号 T2/);
    const noUrl = ctx('task.assigned', { taskId: 'T2', title: 'Visit', dueAt: due });
    expect(renderEmail(noUrl, 'en').text).not.toContain('POST');
  });

  it('leaves missing optional fields out instead of inventing them', () => {
    const c = ctx('task.assigned', { taskId: 'T1', title: 'Visit', dueAt: due });
    for (const locale of noticeLocales) {
      const { text, html } = renderEmail(c, locale);
      expect(text).not.toMatch(/Address|Service:|服务地址|服务事项/);
      expect(html).not.toMatch(/Address|服务地址/);
      expect(renderSms(c, locale)).not.toMatch(/地址|, at /);
    }
    // A whistle without a location, and a warning without a due time.
    const called = renderEmail(ctx('whistle.called', { checkInDueAt: due, summary: 'Blocked manhole' }), 'en');
    expect(called.text).not.toMatch(/Location|Report by|Whistle ID/);
    expect(called.text).toContain(dueEn);
    const warning = renderEmail(ctx('commitment.warning', { clock: 'resolution', kind: 'resolution', percent: 50 }), 'zh-CN');
    expect(warning.text).not.toContain('截止时间');
    expect(warning.subject).toContain('50%');
  });

  it('escapes every interpolated value in HTML and leaves the text as it is', () => {
    const title = '<script>alert("x")</script> & Co\'s pipe';
    const c = ctx('task.assigned', { taskId: 'T1', title, dueAt: due }, { recipientName: 'A <b>bold</b> partner', address: '<img src=x onerror=alert(1)>' });
    for (const locale of noticeLocales) {
      const { subject, text, html } = renderEmail(c, locale);
      expect(text).toContain(title);
      expect(subject).toContain(title);
      expect(text).toContain('A <b>bold</b> partner');
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<b>bold');
      expect(html).not.toContain('<img');
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s pipe');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });

  // Only a row written before a kind was listed can reach the fallback ('case.reopened' has its own texts now).
  it('falls back to a generic notice naming the kind and the case, and nothing of the data', () => {
    const c = ctx('case.archived', { dueAt: due, secret: 'do-not-show' });
    for (const locale of noticeLocales) {
      const { subject, text, html } = renderEmail(c, locale);
      expect(subject).toContain('case.archived');
      expect(subject).toContain(caseId);
      expect(text).toContain('case.archived');
      expect(html).toContain('case.archived');
      expect(`${text}${html}`).not.toContain('do-not-show');
      expect(renderSms(c, locale)).toContain('case.archived');
      expect(renderSms(c, locale)).toContain(caseId);
    }
  });

  it('keeps a zh-CN task.assigned SMS within 140 characters with a realistic title and address', () => {
    const c = ctx(
      'task.assigned',
      { taskId: 'T1', title: '厨房水管漏水，请上门维修并更换老化阀门', dueAt: due },
      { recipientName: '安居家庭维修公司', serviceName: '家庭水管维修', address: '西城区新街口街道前根胡同5号楼2单元' },
    );
    const sms = renderSms(c, 'zh-CN');
    expect([...sms].length).toBeLessThanOrEqual(SMS_MAX_ZH);
    for (const value of ['厨房水管漏水，请上门维修并更换老化阀门', dueZh, caseId, 'T1', '前根胡同5号楼2单元', '接受', '拒绝', '完成']) expect(sms).toContain(value);
  });

  it('shortens a zh-CN SMS that would be too long: the address goes first, then the title is cut', () => {
    const long = '请'.repeat(150);
    const c = ctx('task.assigned', { taskId: 'T1', title: long, dueAt: due }, { address: '西城区新街口街道前根胡同5号楼2单元' });
    const sms = renderSms(c, 'zh-CN');
    expect([...sms].length).toBeLessThanOrEqual(SMS_MAX_ZH);
    expect(sms).not.toContain('前根胡同');
    expect(sms).toContain('…');
    for (const value of [dueZh, caseId, 'T1', '接受']) expect(sms).toContain(value);
  });
});
