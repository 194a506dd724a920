import type { NoticeLocale } from '../../db/schema';

export type { NoticeLocale };

/**
 * Notice texts for partners and departments (email and SMS), in zh-CN and English. Pure functions: the
 * channel activities look up the names and the reply URL and pass them in. Only what the notification
 * carries is shown; a missing optional field is left out, never made up.
 */
export interface NoticeContext {
  notificationId: string;
  /** e.g. 'task.assigned' */
  kind: string;
  caseId: string;
  /** The catalogue item's name in the locale's language, when known. */
  serviceName?: string;
  /** The partner's or department's name in the locale's language. */
  recipientName: string;
  /** The notification's data, e.g. { taskId, title, dueAt } for task.assigned. */
  data: Record<string, unknown>;
  /** Where the service is needed (task.assigned only). */
  address?: string;
  /** Where a partner replies (POST), when the service has a public URL. */
  replyUrl?: string;
}

/** What one template says; rendered as email (text and HTML) and SMS. */
interface Notice {
  subject: string;
  intro: string;
  /** Label and value; rows without a value are left out. */
  fields?: [string, string | undefined][];
  outro?: string[];
  sms: string;
}

/** Values of the notification, ready to print in one locale. */
interface View {
  ctx: NoticeContext;
  /** A data field as text (strings and numbers only). */
  s(key: string): string | undefined;
  /** A data field that holds an ISO time, in Beijing time. */
  time(key: string): string | undefined;
  /** A data field translated through `words` (unknown codes are shown as they are). */
  word(group: keyof typeof words, key: string): string | undefined;
  /** The commitment a clock notice is about: task T1, the response, the resolution. */
  clock(): string;
}

type Template = (v: View) => Notice;

/** An SMS longer than this (zh-CN) first drops the address, then shortens the title. */
export const SMS_MAX_ZH = 140;

/* ---------- formatting ---------- */

const beijing = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const monthsEn = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `2026年11月23日 14:30` or `23 Nov 2026, 14:30 (Beijing time)`; a value that is not a time stays as it is. */
export function formatTime(iso: string, locale: NoticeLocale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const p = Object.fromEntries(beijing.formatToParts(date).map((x) => [x.type, x.value]));
  const hm = `${p.hour}:${p.minute}`;
  return locale === 'zh-CN' ? `${p.year}年${p.month}月${p.day}日 ${hm}` : `${p.day} ${monthsEn[Number(p.month) - 1]} ${p.year}, ${hm} (Beijing time)`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Codes in the data and how each locale says them. */
const words = {
  reason: {
    'prominent-problem': { 'zh-CN': '群众反映突出问题', en: 'a prominent residents’ problem' },
    'joint-enforcement': { 'zh-CN': '联合执法', en: 'joint law enforcement' },
    emergency: { 'zh-CN': '应急处置', en: 'an emergency' },
  },
  role: {
    lead: { 'zh-CN': '牵头部门（首接负责）', en: 'lead department (owns the outcome)' },
    'co-handler': { 'zh-CN': '协办部门（向牵头部门报告）', en: 'co-handler (reports to the lead department)' },
  },
  urgency: {
    urgent: { 'zh-CN': '紧急', en: 'urgent' },
    normal: { 'zh-CN': '一般', en: 'normal' },
  },
  outcome: {
    done: { 'zh-CN': '已办结', en: 'done' },
    'partly-done': { 'zh-CN': '部分办结', en: 'partly done' },
    cannot: { 'zh-CN': '无法办理', en: 'cannot be done' },
  },
} satisfies Record<string, Record<string, Record<NoticeLocale, string>>>;

function view(ctx: NoticeContext, locale: NoticeLocale): View {
  const s = (key: string) => {
    const v = ctx.data[key];
    return typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  return {
    ctx,
    s,
    time: (key) => {
      const v = s(key);
      return v === undefined ? undefined : formatTime(v, locale);
    },
    word: (group, key) => {
      const v = s(key);
      const table: Record<string, Record<NoticeLocale, string>> = words[group];
      return v === undefined ? undefined : (table[v]?.[locale] ?? v);
    },
    clock: () => {
      // Clock ids are `response`, `resolution` or `task:<task id>`.
      const [clockKind, clockTask] = (s('clock') ?? '').split(':');
      const kind = s('kind') ?? clockKind;
      const taskId = s('taskId') ?? clockTask;
      if (kind === 'task') return locale === 'zh-CN' ? `任务${taskId ? ` ${taskId} ` : ''}` : `task${taskId ? ` ${taskId}` : ''}`;
      if (kind === 'response') return locale === 'zh-CN' ? '受理响应' : 'the response';
      if (kind === 'resolution') return locale === 'zh-CN' ? '办结' : 'the resolution';
      return locale === 'zh-CN' ? '承诺' : 'the commitment';
    },
  };
}

/** `, label value` pieces for an SMS, only when the value exists. */
const opt = (prefix: string, value: string | undefined, suffix = '') => (value === undefined ? '' : `${prefix}${value}${suffix}`);

/* ---------- the templates, one entry per kind ---------- */

const templates: Record<string, Record<NoticeLocale, Template>> = {
  'task.assigned': {
    'zh-CN': (v) => ({
      subject: `新任务：${v.s('title') ?? v.ctx.caseId}（案件 ${v.ctx.caseId}）`,
      intro: '社区服务站向贵单位派发了一项任务，请在截止时间前办理。',
      fields: [
        ['任务', v.s('title')],
        ['截止时间', v.time('dueAt')],
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
        ['服务地址', v.ctx.address],
      ],
      outro: [
        `请回复“接受”（accepted）、“拒绝”（declined）或“完成”（done），并注明案件编号 ${v.ctx.caseId}${opt(' 和任务编号 ', v.s('taskId'))}。`,
        ...(v.ctx.replyUrl ? [`回复地址（POST）：${v.ctx.replyUrl}`] : []),
      ],
      sms: `新任务：${v.s('title') ?? ''}${opt('，截止', v.time('dueAt'))}，案件${v.ctx.caseId}${opt('，任务', v.s('taskId'))}${opt('，地址：', v.ctx.address)}。请回复接受/拒绝/完成并注明案件号和任务号。`,
    }),
    en: (v) => ({
      subject: `New task: ${v.s('title') ?? v.ctx.caseId} (case ${v.ctx.caseId})`,
      intro: 'The community service station has assigned you a task. Please carry it out before it is due.',
      fields: [
        ['Task', v.s('title')],
        ['Due', v.time('dueAt')],
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
        ['Address', v.ctx.address],
      ],
      outro: [
        `Please reply accepted, declined or done, quoting case ${v.ctx.caseId}${opt(' and task ', v.s('taskId'))}.`,
        ...(v.ctx.replyUrl ? [`Reply to (POST): ${v.ctx.replyUrl}`] : []),
      ],
      sms: `New task: ${v.s('title') ?? ''}${opt(', due ', v.time('dueAt'))}, case ${v.ctx.caseId}${opt(', task ', v.s('taskId'))}${opt(', at ', v.ctx.address)}. Reply accepted/declined/done with the case and task IDs.`,
    }),
  },

  'commitment.warning': {
    'zh-CN': (v) => ({
      subject: `时限预警：案件 ${v.ctx.caseId} ${v.clock()}时限已用去 ${v.s('percent') ?? '?'}%`,
      intro: `案件 ${v.ctx.caseId} ${v.clock()}的办理时限已用去 ${v.s('percent') ?? '?'}%，请抓紧办理。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
        ['截止时间', v.time('dueAt')],
      ],
      sms: `时限预警：案件${v.ctx.caseId} ${v.clock()}时限已用去${v.s('percent') ?? '?'}%${opt('，截止', v.time('dueAt'))}，请抓紧办理。`,
    }),
    en: (v) => ({
      subject: `Deadline warning: ${v.s('percent') ?? '?'}% of the time for ${v.clock()} of case ${v.ctx.caseId} has passed`,
      intro: `${v.s('percent') ?? '?'}% of the time for ${v.clock()} of case ${v.ctx.caseId} has passed. Please make sure it is done in time.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
        ['Due', v.time('dueAt')],
      ],
      sms: `Deadline warning: ${v.s('percent') ?? '?'}% of the time for ${v.clock()} of case ${v.ctx.caseId} has passed${opt(', due ', v.time('dueAt'))}.`,
    }),
  },

  'commitment.breached': {
    'zh-CN': (v) => ({
      subject: `已超时：案件 ${v.ctx.caseId} ${v.clock()}超过办理时限`,
      intro: `案件 ${v.ctx.caseId} ${v.clock()}已超过办理时限，请尽快办理并向社区服务站说明情况。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
        ['原截止时间', v.time('dueAt')],
      ],
      sms: `已超时：案件${v.ctx.caseId} ${v.clock()}${opt('原定', v.time('dueAt'), '截止')}，请尽快办理。`,
    }),
    en: (v) => ({
      subject: `Deadline missed: ${v.clock()} of case ${v.ctx.caseId}`,
      intro: `The deadline for ${v.clock()} of case ${v.ctx.caseId} has passed. Please complete it as soon as possible and let the station know why it is late.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
        ['Was due', v.time('dueAt')],
      ],
      sms: `Deadline missed: ${v.clock()} of case ${v.ctx.caseId}${opt(' was due ', v.time('dueAt'))}. Please complete it as soon as possible.`,
    }),
  },

  'commitment.extended': {
    'zh-CN': (v) => ({
      subject: `时限延长：案件 ${v.ctx.caseId} ${v.clock()}截止时间已延长`,
      intro: `案件 ${v.ctx.caseId} ${v.clock()}的截止时间已${opt('由 ', v.time('from'), ' ')}延长至 ${v.time('to') ?? '?'}。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['原截止时间', v.time('from')],
        ['新截止时间', v.time('to')],
      ],
      sms: `时限延长：案件${v.ctx.caseId} ${v.clock()}截止时间${opt('由', v.time('from'))}延长至${v.time('to') ?? '?'}。`,
    }),
    en: (v) => ({
      subject: `Deadline extended: ${v.clock()} of case ${v.ctx.caseId}`,
      intro: `The deadline for ${v.clock()} of case ${v.ctx.caseId} has been extended${opt(' from ', v.time('from'))} to ${v.time('to') ?? '?'}.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Was due', v.time('from')],
        ['Now due', v.time('to')],
      ],
      sms: `Deadline extended: ${v.clock()} of case ${v.ctx.caseId}${opt(' from ', v.time('from'))} to ${v.time('to') ?? '?'}.`,
    }),
  },

  'case.transferred': {
    'zh-CN': (v) => ({
      subject: `转办：案件 ${v.ctx.caseId} 转交${v.ctx.recipientName}办理`,
      intro: `社区服务站将以下诉求转交${v.ctx.recipientName}办理，请接收。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['诉求', v.s('demand')],
        ['转办说明', v.s('note')],
      ],
      sms: `转办：社区服务站将案件${v.ctx.caseId}${opt('（', v.ctx.serviceName, '）')}的诉求转交贵单位办理，详情见邮件或系统。`,
    }),
    en: (v) => ({
      subject: `Transferred to you: case ${v.ctx.caseId}`,
      intro: `The community service station has transferred the following demand to ${v.ctx.recipientName} for handling:`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Demand', v.s('demand')],
        ['Note', v.s('note')],
      ],
      sms: `Case ${v.ctx.caseId}${opt(' (', v.ctx.serviceName, ')')} has been transferred to you by the community service station; see the email or system for details.`,
    }),
  },

  'whistle.called': {
    'zh-CN': (v) => ({
      subject: `街乡吹哨：请于 ${v.time('checkInDueAt') ?? '时限内'} 前报到（案件 ${v.ctx.caseId}）`,
      intro: '街道（乡镇）就以下事项吹哨，请贵部门在报到时限前报到，并在报告时限前报告办理结果。',
      fields: [
        ['事项', v.s('summary')],
        ['地点', v.s('location')],
        ['吹哨原因', v.word('reason', 'reason')],
        ['紧急程度', v.word('urgency', 'urgency')],
        ['贵部门角色', v.word('role', 'role')],
        ['报到时限', v.time('checkInDueAt')],
        ['报告时限', v.time('reportDueAt')],
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['服务事项', v.ctx.serviceName],
      ],
      sms: `街乡吹哨：案件${v.ctx.caseId}${opt('，', v.s('location'))}，请于${v.time('checkInDueAt') ?? '时限内'}前报到${opt('，', v.time('reportDueAt'), '前报告结果')}。`,
    }),
    en: (v) => ({
      subject: `Whistle on case ${v.ctx.caseId}: please check in by ${v.time('checkInDueAt') ?? 'the deadline'}`,
      intro: 'The subdistrict has blown the whistle on the matter below and calls your department: please check in by the check-in deadline and report the result by the report deadline.',
      fields: [
        ['Matter', v.s('summary')],
        ['Location', v.s('location')],
        ['Reason', v.word('reason', 'reason')],
        ['Urgency', v.word('urgency', 'urgency')],
        ['Your role', v.word('role', 'role')],
        ['Check in by', v.time('checkInDueAt')],
        ['Report by', v.time('reportDueAt')],
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Service', v.ctx.serviceName],
      ],
      sms: `Whistle: case ${v.ctx.caseId}${opt(', ', v.s('location'))}. Check in by ${v.time('checkInDueAt') ?? 'the deadline'}${opt('; report by ', v.time('reportDueAt'))}.`,
    }),
  },

  'whistle.reminder': {
    'zh-CN': (v) => {
      const duty = v.s('duty') === 'report' ? '报告办理结果' : '报到';
      return {
        subject: `吹哨提醒：请于 ${v.time('dueAt') ?? '时限内'} 前${duty}（案件 ${v.ctx.caseId}）`,
        intro: `案件 ${v.ctx.caseId} 的吹哨事项${duty}时限已用去 ${v.s('percent') ?? '?'}%，请于 ${v.time('dueAt') ?? '时限内'} 前${duty}。`,
        fields: [
          ['案件编号', v.ctx.caseId],
          ['吹哨编号', v.s('whistleId')],
          ['截止时间', v.time('dueAt')],
        ],
        sms: `吹哨提醒：案件${v.ctx.caseId}${duty}时限已用去${v.s('percent') ?? '?'}%，请于${v.time('dueAt') ?? '时限内'}前${duty}。`,
      };
    },
    en: (v) => {
      const duty = v.s('duty') === 'report' ? 'report the result' : 'check in';
      return {
        subject: `Whistle reminder, case ${v.ctx.caseId}: please ${duty} by ${v.time('dueAt') ?? 'the deadline'}`,
        intro: `${v.s('percent') ?? '?'}% of the time to ${duty} on the whistle of case ${v.ctx.caseId} has passed. Please ${duty} by ${v.time('dueAt') ?? 'the deadline'}.`,
        fields: [
          ['Case', v.ctx.caseId],
          ['Whistle ID', v.s('whistleId')],
          ['Due', v.time('dueAt')],
        ],
        sms: `Whistle reminder: ${v.s('percent') ?? '?'}% of the time has passed; please ${duty} on case ${v.ctx.caseId} by ${v.time('dueAt') ?? 'the deadline'}.`,
      };
    },
  },

  'whistle.check-in-missed': {
    'zh-CN': (v) => ({
      subject: `未按时报到：案件 ${v.ctx.caseId} 的吹哨事项`,
      intro: `贵部门未在报到时限${opt('（', v.time('dueAt'), '）')}前就案件 ${v.ctx.caseId} 的吹哨事项报到，已记入考核。请立即报到。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['报到时限', v.time('dueAt')],
      ],
      sms: `未按时报到：案件${v.ctx.caseId}吹哨事项${opt('报到时限', v.time('dueAt'))}已过，已记入考核，请立即报到。`,
    }),
    en: (v) => ({
      subject: `Check-in missed: whistle on case ${v.ctx.caseId}`,
      intro: `Your department did not check in on the whistle of case ${v.ctx.caseId}${opt(' by ', v.time('dueAt'))}. This is recorded for the assessment. Please check in now.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Check-in was due', v.time('dueAt')],
      ],
      sms: `Check-in missed on the whistle of case ${v.ctx.caseId}${opt('; it was due ', v.time('dueAt'))}. It is recorded; please check in now.`,
    }),
  },

  'whistle.report-overdue': {
    'zh-CN': (v) => ({
      subject: `报告逾期：案件 ${v.ctx.caseId} 的吹哨事项`,
      intro: `案件 ${v.ctx.caseId} 的吹哨事项已超过报告时限${opt('（', v.time('dueAt'), '）')}，请尽快报告办理结果。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['报告时限', v.time('dueAt')],
      ],
      sms: `报告逾期：案件${v.ctx.caseId}吹哨事项${opt('报告时限', v.time('dueAt'))}已过，请尽快报告办理结果。`,
    }),
    en: (v) => ({
      subject: `Report overdue: whistle on case ${v.ctx.caseId}`,
      intro: `The report on the whistle of case ${v.ctx.caseId} is overdue${opt('; it was due ', v.time('dueAt'))}. Please report the result as soon as possible.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Report was due', v.time('dueAt')],
      ],
      sms: `Report overdue on the whistle of case ${v.ctx.caseId}${opt('; it was due ', v.time('dueAt'))}. Please report the result now.`,
    }),
  },

  'whistle.completed': {
    'zh-CN': (v) => ({
      subject: `吹哨事项已完成：案件 ${v.ctx.caseId}`,
      intro: `案件 ${v.ctx.caseId} 的吹哨事项已完成${opt('，结果：', v.word('outcome', 'outcome'))}。感谢贵部门的配合，您可在评价期内对本次吹哨作出评价。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['结果', v.word('outcome', 'outcome')],
      ],
      sms: `吹哨事项已完成：案件${v.ctx.caseId}${opt('，结果：', v.word('outcome', 'outcome'))}。感谢配合。`,
    }),
    en: (v) => ({
      subject: `Whistle completed: case ${v.ctx.caseId}`,
      intro: `The whistle on case ${v.ctx.caseId} is complete${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}. Thank you for your work; you may rate the whistle while the rating window is open.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Outcome', v.word('outcome', 'outcome')],
      ],
      sms: `The whistle on case ${v.ctx.caseId} is complete${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}. Thank you.`,
    }),
  },
};

/** Any other kind: names the kind and the case, and nothing of the data. */
const fallback: Record<NoticeLocale, Template> = {
  'zh-CN': (v) => ({
    subject: `通知：${v.ctx.kind}（案件 ${v.ctx.caseId}）`,
    intro: `案件 ${v.ctx.caseId} 有一条新通知（类型：${v.ctx.kind}），详情请登录系统查看。`,
    fields: [
      ['案件编号', v.ctx.caseId],
      ['服务事项', v.ctx.serviceName],
    ],
    sms: `案件${v.ctx.caseId}有新通知（${v.ctx.kind}），详情请登录系统查看。`,
  }),
  en: (v) => ({
    subject: `Notice: ${v.ctx.kind} (case ${v.ctx.caseId})`,
    intro: `There is a new notice (${v.ctx.kind}) on case ${v.ctx.caseId}. Please see the system for details.`,
    fields: [
      ['Case', v.ctx.caseId],
      ['Service', v.ctx.serviceName],
    ],
    sms: `New notice (${v.ctx.kind}) on case ${v.ctx.caseId}; see the system for details.`,
  }),
};

/** The kinds with their own texts (others use the fallback). */
export const noticeKinds = Object.keys(templates);

const chrome = {
  'zh-CN': {
    greeting: (name: string) => `${name}：`,
    footer: (id: string) => `此通知由 stationflow 自动发送，通知编号 ${id}。`,
  },
  en: {
    greeting: (name: string) => `Dear ${name},`,
    footer: (id: string) => `Sent automatically by stationflow. Notification ID: ${id}.`,
  },
} satisfies Record<NoticeLocale, unknown>;

function notice(ctx: NoticeContext, locale: NoticeLocale): Notice {
  const template = (templates[ctx.kind] ?? fallback)[locale];
  return template(view(ctx, locale));
}

export function renderEmail(ctx: NoticeContext, locale: NoticeLocale): { subject: string; text: string; html: string } {
  const n = notice(ctx, locale);
  const { greeting, footer } = chrome[locale];
  const fields = (n.fields ?? []).filter((f): f is [string, string] => f[1] !== undefined);
  const sep = locale === 'zh-CN' ? '：' : ': ';
  const text = [
    greeting(ctx.recipientName),
    '',
    n.intro,
    '',
    ...fields.map(([label, value]) => `${label}${sep}${value}`),
    ...(n.outro?.length ? ['', ...n.outro] : []),
    '',
    '--',
    footer(ctx.notificationId),
    '',
  ].join('\n');
  const e = escapeHtml;
  const rows = fields.map(([label, value]) => `<tr><th align="left" style="padding-right:1em">${e(label)}</th><td>${e(value)}</td></tr>`);
  const html = [
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${e(n.subject)}</title></head><body>`,
    `<p>${e(greeting(ctx.recipientName))}</p>`,
    `<p>${e(n.intro)}</p>`,
    ...(rows.length ? [`<table>${rows.join('')}</table>`] : []),
    ...(n.outro ?? []).map((line) => `<p>${e(line)}</p>`),
    `<p style="color:#666;font-size:small">${e(footer(ctx.notificationId))}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: n.subject, text, html };
}

const length = (text: string) => [...text].length;

/**
 * One short message. In zh-CN a message longer than SMS_MAX_ZH characters first loses the address, then
 * has its title shortened with an ellipsis; what remains (case id, due time, how to reply) is kept.
 */
export function renderSms(ctx: NoticeContext, locale: NoticeLocale): string {
  let text = notice(ctx, locale).sms;
  if (locale !== 'zh-CN' || length(text) <= SMS_MAX_ZH) return text;
  const short = { ...ctx, address: undefined };
  text = notice(short, locale).sms;
  const title = typeof ctx.data.title === 'string' ? [...ctx.data.title] : [];
  const over = length(text) - SMS_MAX_ZH;
  if (over > 0 && title.length > over + 1) {
    text = notice({ ...short, data: { ...ctx.data, title: `${title.slice(0, title.length - over - 1).join('')}…` } }, locale).sms;
  }
  return text;
}
