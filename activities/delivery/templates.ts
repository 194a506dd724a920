import type { NoticeLocale } from '../../db/schema';
import { isNoticeKind, type NoticeKind, noticeKinds } from '../../workflows/shared/notices';

export type { NoticeKind, NoticeLocale };
/** Every kind the workflows send; each has its own texts (workflows/shared/notices.ts lists them). */
export { noticeKinds };

/**
 * Notice texts for partners and departments (email and SMS), in zh-CN and English. Pure functions: the
 * channel activities look up the names and the reply URL and pass them in. Only what the notification
 * carries is shown; a missing optional field is left out, never made up.
 */
export interface NoticeContext {
  notificationId: string;
  /** e.g. 'task.assigned'. Read from the notification's row, so text: a kind no longer listed gets the generic notice. */
  kind: NoticeKind | (string & {});
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
    closed: { 'zh-CN': '由督办人员关闭', en: 'closed by the supervisor' },
  },
  resolution: {
    resolved: { 'zh-CN': '已解决', en: 'resolved' },
    unresolved: { 'zh-CN': '未能解决', en: 'unresolved' },
    transferred: { 'zh-CN': '已转办', en: 'transferred' },
  },
  stage: {
    accept: { 'zh-CN': '受理', en: 'acceptance' },
    diagnose: { 'zh-CN': '研判', en: 'assessment' },
    plan: { 'zh-CN': '制定方案', en: 'planning' },
    execute: { 'zh-CN': '办理', en: 'execution' },
    coordinate: { 'zh-CN': '协调', en: 'coordination' },
    close: { 'zh-CN': '办结', en: 'closing' },
    closed: { 'zh-CN': '已办结', en: 'closed' },
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

/** The partner or department a dead letter was for (`data.recipient`), by its registry id. */
function party(v: View, locale: NoticeLocale): string {
  const r = v.ctx.data.recipient as { kind?: unknown; id?: unknown } | undefined;
  const id = typeof r?.id === 'string' ? r.id : undefined;
  if (r?.kind === 'department') return locale === 'zh-CN' ? `部门${opt(' ', id)}` : `department${opt(' ', id)}`;
  return locale === 'zh-CN' ? `承办方${opt(' ', id)}` : `partner${opt(' ', id)}`;
}

/* ---------- the templates, one entry per kind ---------- */

const templates: Record<NoticeKind, Record<NoticeLocale, Template>> = {
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

  /* ---------- notices to the station (case owner) and the supervisors ---------- */

  'task.declined': {
    'zh-CN': (v) => ({
      subject: `任务退回：案件 ${v.ctx.caseId}${opt(' 任务 ', v.s('taskId'))} 被承办方拒绝`,
      intro: `承办方拒绝接受案件 ${v.ctx.caseId} 的任务${opt(' ', v.s('taskId'))}${opt('（', v.s('title'), '）')}，任务已退回本站。请调整服务方案，另行派单。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['任务', v.s('title')],
        ['拒绝说明', v.s('note')],
        ['服务事项', v.ctx.serviceName],
      ],
      sms: `任务退回：案件${v.ctx.caseId}${opt('任务', v.s('taskId'))}被承办方拒绝，已退回本站，请调整服务方案并另行派单。`,
    }),
    en: (v) => ({
      subject: `Task declined: ${opt('task ', v.s('taskId'), ' of ')}case ${v.ctx.caseId}`,
      intro: `The assignee declined ${opt('task ', v.s('taskId'), ' ')}${opt('(', v.s('title'), ') ')}of case ${v.ctx.caseId}; the task is back with the station. Please revise the plan and assign it anew.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Task', v.s('title')],
        ['Note', v.s('note')],
        ['Service', v.ctx.serviceName],
      ],
      sms: `Task declined: ${opt('task ', v.s('taskId'), ' of ')}case ${v.ctx.caseId} is back with the station. Please revise the plan and assign it anew.`,
    }),
  },

  'callback.due': {
    'zh-CN': (v) => ({
      subject: `回访提醒：案件 ${v.ctx.caseId} 已到回访时间`,
      intro: `案件 ${v.ctx.caseId} 已办结，居民尚未作出评价，回访时间已到${opt('（', v.time('dueAt'), '）')}。请及时回访居民，并录入满意度评价。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['回访时间', v.time('dueAt')],
      ],
      sms: `回访提醒：案件${v.ctx.caseId}回访时间已到，请及时回访居民并录入满意度评价。`,
    }),
    en: (v) => ({
      subject: `Call-back due: case ${v.ctx.caseId}`,
      intro: `Case ${v.ctx.caseId} is closed and the resident has not rated it; the time to call back has come${opt(' (', v.time('dueAt'), ')')}. Please call the resident back and record the rating.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Call back from', v.time('dueAt')],
      ],
      sms: `Call-back due on case ${v.ctx.caseId}: please call the resident back and record the rating.`,
    }),
  },

  'case.reopened': {
    'zh-CN': (v) => ({
      subject: `案件重办：案件 ${v.ctx.caseId} 因居民不满意重新办理`,
      intro: `居民对案件 ${v.ctx.caseId} 的办理结果不满意，案件已退回办理环节重新办理${opt('，新的办结时限为 ', v.time('dueAt'))}。请修订服务方案，抓紧办理。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['办结时限', v.time('dueAt')],
      ],
      sms: `案件重办：居民对案件${v.ctx.caseId}办理结果不满意，已重新办理${opt('，办结时限', v.time('dueAt'))}，请抓紧办理。`,
    }),
    en: (v) => ({
      subject: `Case reopened: case ${v.ctx.caseId}`,
      intro: `The resident was not satisfied with the outcome of case ${v.ctx.caseId}, so the case is back in execution${opt('; it is now due ', v.time('dueAt'))}. Please revise the plan and see it done.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Now due', v.time('dueAt')],
      ],
      sms: `Case ${v.ctx.caseId} is reopened: the resident was not satisfied${opt('. Now due ', v.time('dueAt'))}.`,
    }),
  },

  'case.urged': {
    'zh-CN': (v) => ({
      subject: `督办：案件 ${v.ctx.caseId}${opt(' 任务 ', v.s('taskId'))}请抓紧办理`,
      intro: `街道（乡镇）督办人员对案件 ${v.ctx.caseId}${opt(' 的任务 ', v.s('taskId'))}进行督办${opt('（本案第 ', v.s('count'), ' 次）')}，请抓紧办理并反馈进展。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
        ['督办事由', v.s('reason')],
        ['截止时间', v.time('dueAt')],
      ],
      sms: `督办：案件${v.ctx.caseId}${opt('任务', v.s('taskId'))}请抓紧办理${opt('，事由：', v.s('reason'))}。`,
    }),
    en: (v) => ({
      subject: `Urged: case ${v.ctx.caseId}${opt(' task ', v.s('taskId'))} needs action`,
      intro: `A subdistrict supervisor has urged you on case ${v.ctx.caseId}${opt(', task ', v.s('taskId'))}${opt(' (time ', v.s('count'), ' on this case)')}. Please act on it and report progress.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
        ['Why', v.s('reason')],
        ['Due', v.time('dueAt')],
      ],
      sms: `Urged: case ${v.ctx.caseId}${opt(' task ', v.s('taskId'))} needs action${opt(': ', v.s('reason'))}.`,
    }),
  },

  'case.reassigned': {
    'zh-CN': (v) => ({
      subject: `案件转交：案件 ${v.ctx.caseId} 已交由您负责`,
      intro: `督办人员已将案件 ${v.ctx.caseId}${opt('（原负责人 ', v.s('from'), '）')}交由您首接负责，请查看案件并继续办理。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['原负责人', v.s('from')],
      ],
      sms: `案件${v.ctx.caseId}已交由您负责，请查看并继续办理。`,
    }),
    en: (v) => ({
      subject: `Case handed to you: case ${v.ctx.caseId}`,
      intro: `A supervisor has made you the owner of case ${v.ctx.caseId}${opt(' (until now owned by ', v.s('from'), ')')}. Please review it and carry it on.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Previous owner', v.s('from')],
      ],
      sms: `Case ${v.ctx.caseId} is now yours: please review it and carry it on.`,
    }),
  },

  'task.reassigned': {
    'zh-CN': (v) => ({
      subject: `任务改派：案件 ${v.ctx.caseId}${opt(' 任务 ', v.s('taskId'))}已改由他方办理`,
      intro: `案件 ${v.ctx.caseId}${opt(' 的任务 ', v.s('taskId'))}已改派他方办理，贵单位无需继续办理。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
      ],
      sms: `案件${v.ctx.caseId}${opt('任务', v.s('taskId'))}已改派他方办理，贵单位无需继续办理。`,
    }),
    en: (v) => ({
      subject: `Task reassigned: case ${v.ctx.caseId}${opt(' task ', v.s('taskId'))}`,
      intro: `Task${opt(' ', v.s('taskId'))} of case ${v.ctx.caseId} has been given to someone else; you need not carry it out.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
      ],
      sms: `Task${opt(' ', v.s('taskId'))} of case ${v.ctx.caseId} was given to someone else; you need not carry it out.`,
    }),
  },

  'case.withdrawn': {
    'zh-CN': (v) => ({
      subject: `案件撤销：案件 ${v.ctx.caseId} 已${v.s('resolution') === 'withdrawn' ? '由居民撤回' : '撤销'}`,
      intro: `案件 ${v.ctx.caseId} 已${v.s('resolution') === 'withdrawn' ? '由居民撤回' : '撤销'}，其中派给贵单位的任务${opt(' ', v.s('taskId'))}无需继续办理。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['任务编号', v.s('taskId')],
        ['服务事项', v.ctx.serviceName],
      ],
      sms: `案件${v.ctx.caseId}已${v.s('resolution') === 'withdrawn' ? '由居民撤回' : '撤销'}，相关任务无需继续办理。`,
    }),
    en: (v) => ({
      subject: `Case ${v.s('resolution') === 'withdrawn' ? 'withdrawn' : 'cancelled'}: case ${v.ctx.caseId}`,
      intro: `Case ${v.ctx.caseId} has been ${v.s('resolution') === 'withdrawn' ? 'withdrawn by the resident' : 'cancelled'}; your task${opt(' ', v.s('taskId'))} on it need not be carried out.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Task ID', v.s('taskId')],
        ['Service', v.ctx.serviceName],
      ],
      sms: `Case ${v.ctx.caseId} was ${v.s('resolution') === 'withdrawn' ? 'withdrawn by the resident' : 'cancelled'}; its task${opt(' ', v.s('taskId'))} need not be carried out.`,
    }),
  },

  'escalation.proposed': {
    'zh-CN': (v) => ({
      subject: `吹哨建议：案件 ${v.ctx.caseId} 超过办结时限`,
      intro: `案件 ${v.ctx.caseId} 已超过办结时限，按该类案件规则，建议提请街道（乡镇）吹哨${opt('（升级编号 ', v.s('escalationId'), '）')}。请督办人员研究决定是否吹哨、召集相关部门报到。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['升级编号', v.s('escalationId')],
        ['服务事项', v.ctx.serviceName],
      ],
      sms: `吹哨建议：案件${v.ctx.caseId}超过办结时限${opt('（升级编号', v.s('escalationId'), '）')}，请研究决定是否吹哨。`,
    }),
    en: (v) => ({
      subject: `Whistle proposed: case ${v.ctx.caseId} missed its resolution deadline`,
      intro: `Case ${v.ctx.caseId} has missed its resolution deadline. Under its rules the station proposes blowing the whistle to departments${opt(' (escalation ', v.s('escalationId'), ')')}. Please decide whether to blow it.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Escalation ID', v.s('escalationId')],
        ['Service', v.ctx.serviceName],
      ],
      sms: `Case ${v.ctx.caseId} missed its resolution deadline; a whistle is proposed${opt(' (', v.s('escalationId'), ')')}. Please decide whether to blow it.`,
    }),
  },

  'partner.unreachable': {
    'zh-CN': (v) => {
      const who = party(v, 'zh-CN');
      return {
        subject: `通知未送达：案件 ${v.ctx.caseId} 的通知未能送达${who}`,
        intro: `案件 ${v.ctx.caseId} 的一条通知经各联系渠道发送，均未能送达${who}，已转为待处理的未送达通知。请核实对方联系方式；督办人员可在系统中重新发送。`,
        fields: [
          ['案件编号', v.ctx.caseId],
          ['接收方', who],
          ['通知编号', v.s('notificationId')],
          ['发送轮次', v.s('round')],
        ],
        sms: `通知未送达：案件${v.ctx.caseId}的通知未能送达${who}，请核实联系方式后在系统中重新发送。`,
      };
    },
    en: (v) => {
      const who = party(v, 'en');
      return {
        subject: `Notice not delivered: case ${v.ctx.caseId}, ${who}`,
        intro: `A notice of case ${v.ctx.caseId} could not reach ${who} on any channel and is now a dead letter. Please check their contact details; a supervisor can retry the delivery in the system.`,
        fields: [
          ['Case', v.ctx.caseId],
          ['Recipient', who],
          ['Notification ID', v.s('notificationId')],
          ['Round', v.s('round')],
        ],
        sms: `A notice of case ${v.ctx.caseId} could not reach ${who}. Please check their contact details and retry it in the system.`,
      };
    },
  },

  'whistle.settled': {
    'zh-CN': (v) => ({
      subject: `吹哨事项已完成：案件 ${v.ctx.caseId}，请继续办理`,
      intro: `案件 ${v.ctx.caseId} 的吹哨事项${opt('（吹哨编号 ', v.s('whistleId'), '）')}已完成${opt('，结果：', v.word('outcome', 'outcome'))}。请据此继续办理本案件。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['结果', v.word('outcome', 'outcome')],
      ],
      sms: `吹哨事项已完成：案件${v.ctx.caseId}${opt('，结果：', v.word('outcome', 'outcome'))}，请继续办理本案件。`,
    }),
    en: (v) => ({
      subject: `Whistle settled: case ${v.ctx.caseId}`,
      intro: `The whistle on case ${v.ctx.caseId}${opt(' (', v.s('whistleId'), ')')} is complete${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}. Please carry on with the case.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Outcome', v.word('outcome', 'outcome')],
      ],
      sms: `The whistle on case ${v.ctx.caseId} is complete${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}. Please carry on with the case.`,
    }),
  },

  /* ---------- notices to the resident (kept in the inbox; never pushed to a partner) ---------- */

  'case.result': {
    'zh-CN': (v) => ({
      subject: `案件办结：案件 ${v.ctx.caseId}${opt(' ', v.word('resolution', 'resolution'))}`,
      intro: `案件 ${v.ctx.caseId} 已办结${opt('，办理结果：', v.word('resolution', 'resolution'))}。如对办理结果不满意，可在评价期内提出。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['服务事项', v.ctx.serviceName],
        ['办理结果', v.word('resolution', 'resolution')],
      ],
      sms: `案件办结：案件${v.ctx.caseId}已办结${opt('，办理结果：', v.word('resolution', 'resolution'))}。`,
    }),
    en: (v) => ({
      subject: `Case closed: case ${v.ctx.caseId}${opt(' (', v.word('resolution', 'resolution'), ')')}`,
      intro: `Case ${v.ctx.caseId} has been closed${opt(' (resolution: ', v.word('resolution', 'resolution'), ')')}. If you are not satisfied with the outcome, you may say so while the rating window is open.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Service', v.ctx.serviceName],
        ['Resolution', v.word('resolution', 'resolution')],
      ],
      sms: `Case ${v.ctx.caseId} has been closed${opt(' (', v.word('resolution', 'resolution'), ')')}.`,
    }),
  },

  'case.progress': {
    'zh-CN': (v) => {
      const overdue = v.ctx.data.overdue === true ? '，已超过时限，正在督办' : '';
      return {
        subject: `案件进度：案件 ${v.ctx.caseId}${opt(' 处于', v.word('stage', 'stage'), '环节')}`,
        intro: `案件 ${v.ctx.caseId} 正在办理${opt('，目前处于“', v.word('stage', 'stage'), '”环节')}${opt('，下一时限为 ', v.time('nextDueAt'))}${overdue}。`,
        fields: [
          ['案件编号', v.ctx.caseId],
          ['服务事项', v.ctx.serviceName],
          ['当前环节', v.word('stage', 'stage')],
          ['下一时限', v.time('nextDueAt')],
        ],
        sms: `案件进度：案件${v.ctx.caseId}正在办理${opt('，处于', v.word('stage', 'stage'), '环节')}${opt('，下一时限', v.time('nextDueAt'))}${overdue}。`,
      };
    },
    en: (v) => {
      const overdue = v.ctx.data.overdue === true ? '; it is overdue and being followed up' : '';
      return {
        subject: `Case progress: case ${v.ctx.caseId}${opt(', ', v.word('stage', 'stage'))}`,
        intro: `Case ${v.ctx.caseId} is in hand${opt(', at the ', v.word('stage', 'stage'), ' stage')}${opt('; next due ', v.time('nextDueAt'))}${overdue}.`,
        fields: [
          ['Case', v.ctx.caseId],
          ['Service', v.ctx.serviceName],
          ['Stage', v.word('stage', 'stage')],
          ['Next due', v.time('nextDueAt')],
        ],
        sms: `Case ${v.ctx.caseId} is in hand${opt(', at the ', v.word('stage', 'stage'), ' stage')}${opt('; next due ', v.time('nextDueAt'))}${overdue}.`,
      };
    },
  },

  /* ---------- whistles: disputes, decisions and reports ---------- */

  'whistle.disputed': {
    'zh-CN': (v) => ({
      subject: `派单异议：案件 ${v.ctx.caseId} 吹哨事项${opt('，部门 ', v.s('departmentId'), ' ')}提出异议`,
      intro: `${opt('部门 ', v.s('departmentId'), ' ') || '有部门'}对案件 ${v.ctx.caseId} 的吹哨派单提出异议，认为不属于其职责，其办理时限已暂停。请督办人员尽快裁定：坚持派单、解除派单或改派其他部门。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['提出异议的部门', v.s('departmentId')],
      ],
      sms: `派单异议：${opt('部门', v.s('departmentId')) || '有部门'}对案件${v.ctx.caseId}吹哨派单提出异议，时限已暂停，请尽快裁定。`,
    }),
    en: (v) => ({
      subject: `Dispute on the whistle of case ${v.ctx.caseId}${opt(': department ', v.s('departmentId'))}`,
      intro: `${opt('Department ', v.s('departmentId')) || 'A department'} disputes its call on the whistle of case ${v.ctx.caseId} (not its responsibility); its deadlines are paused. Please decide soon: insist, release it, or replace it with another department.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Disputed by', v.s('departmentId')],
      ],
      sms: `${opt('Department ', v.s('departmentId')) || 'A department'} disputes the whistle on case ${v.ctx.caseId}; its deadlines are paused. Please decide soon.`,
    }),
  },

  'whistle.dispute-refused': {
    'zh-CN': (v) => ({
      subject: `异议未予采纳：请继续办理案件 ${v.ctx.caseId} 的吹哨事项`,
      intro: `经督办人员裁定，贵部门对案件 ${v.ctx.caseId} 吹哨派单的异议未予采纳，请继续办理。办理时限恢复计时${opt('，报到时限 ', v.time('checkInDueAt'))}${opt('，报告时限 ', v.time('reportDueAt'))}。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['报到时限', v.time('checkInDueAt')],
        ['报告时限', v.time('reportDueAt')],
      ],
      sms: `异议未予采纳：请继续办理案件${v.ctx.caseId}吹哨事项${opt('，报到时限', v.time('checkInDueAt'))}${opt('，报告时限', v.time('reportDueAt'))}。`,
    }),
    en: (v) => ({
      subject: `Dispute not upheld: whistle on case ${v.ctx.caseId}`,
      intro: `The supervisor did not uphold your department's dispute of the whistle on case ${v.ctx.caseId}; please carry on. The deadlines run again${opt(': check in by ', v.time('checkInDueAt'))}${opt(', report by ', v.time('reportDueAt'))}.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Check in by', v.time('checkInDueAt')],
        ['Report by', v.time('reportDueAt')],
      ],
      sms: `Dispute not upheld: carry on with the whistle on case ${v.ctx.caseId}${opt('; report by ', v.time('reportDueAt'))}.`,
    }),
  },

  'whistle.released': {
    'zh-CN': (v) => ({
      subject: `解除派单：案件 ${v.ctx.caseId} 的吹哨事项`,
      intro: `经督办人员裁定，贵部门不再承办案件 ${v.ctx.caseId} 的吹哨事项${opt('，改由 ', v.s('replacedBy'), ' 承办')}，相关办理时限已取消。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['改由承办', v.s('replacedBy')],
      ],
      sms: `解除派单：贵部门不再承办案件${v.ctx.caseId}吹哨事项${opt('，改由', v.s('replacedBy'), '承办')}。`,
    }),
    en: (v) => ({
      subject: `Released from the whistle on case ${v.ctx.caseId}`,
      intro: `The supervisor has released your department from the whistle on case ${v.ctx.caseId}${opt('; department ', v.s('replacedBy'), ' takes it over')}. Your deadlines on it are cancelled.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Replaced by', v.s('replacedBy')],
      ],
      sms: `Your department is released from the whistle on case ${v.ctx.caseId}${opt('; ', v.s('replacedBy'), ' takes it over')}.`,
    }),
  },

  'whistle.lead-assigned': {
    'zh-CN': (v) => ({
      subject: `牵头部门调整：贵部门牵头办理案件 ${v.ctx.caseId} 的吹哨事项`,
      intro: `原牵头部门已解除派单，经督办人员裁定，由贵部门牵头办理案件 ${v.ctx.caseId} 的吹哨事项（首接负责），协办部门向贵部门报告。请按时限报告办理结果。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['贵部门角色', words.role.lead['zh-CN']],
      ],
      sms: `牵头部门调整：贵部门改为案件${v.ctx.caseId}吹哨事项的牵头部门，请按时限报告办理结果。`,
    }),
    en: (v) => ({
      subject: `Your department now leads the whistle on case ${v.ctx.caseId}`,
      intro: `The lead department was released: your department now leads the whistle on case ${v.ctx.caseId} and owns its outcome, and the co-handlers report to you. Please report the result by the deadline.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Your role', words.role.lead.en],
      ],
      sms: `Your department now leads the whistle on case ${v.ctx.caseId}. Please report the result by the deadline.`,
    }),
  },

  'whistle.co-handler-reported': {
    'zh-CN': (v) => ({
      subject: `协办报告：案件 ${v.ctx.caseId} 吹哨事项${opt('，协办部门 ', v.s('departmentId'), ' ')}已报告`,
      intro: `协办部门${opt(' ', v.s('departmentId'))} 已报告案件 ${v.ctx.caseId} 吹哨事项的办理结果${opt('：', v.word('outcome', 'outcome'))}。各协办部门报告后，请贵部门作为牵头部门报告办理结果。`,
      fields: [
        ['案件编号', v.ctx.caseId],
        ['吹哨编号', v.s('whistleId')],
        ['协办部门', v.s('departmentId')],
        ['结果', v.word('outcome', 'outcome')],
      ],
      sms: `协办报告：案件${v.ctx.caseId}吹哨事项协办部门${opt('', v.s('departmentId'))}已报告${opt('，结果：', v.word('outcome', 'outcome'))}。`,
    }),
    en: (v) => ({
      subject: `Co-handler reported on the whistle of case ${v.ctx.caseId}`,
      intro: `Co-handler${opt(' ', v.s('departmentId'))} has reported on the whistle of case ${v.ctx.caseId}${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}. Once all co-handlers have reported, please report the result as the lead department.`,
      fields: [
        ['Case', v.ctx.caseId],
        ['Whistle ID', v.s('whistleId')],
        ['Co-handler', v.s('departmentId')],
        ['Outcome', v.word('outcome', 'outcome')],
      ],
      sms: `Co-handler${opt(' ', v.s('departmentId'))} has reported on the whistle of case ${v.ctx.caseId}${opt(' (outcome: ', v.word('outcome', 'outcome'), ')')}.`,
    }),
  },
};

/**
 * A kind that is not in `noticeKinds`: only a notification row written by an older version can hold one
 * (the kind is read from the database as text). Names the kind and the case, and nothing of the data.
 */
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
  const template = (isNoticeKind(ctx.kind) ? templates[ctx.kind] : fallback)[locale];
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
