import type { CSSProperties, ReactNode } from 'react';
import { Space, Tag, Tooltip, Typography } from 'antd';
import {
  ApiOutlined,
  BugOutlined,
  ClockCircleOutlined,
  DisconnectOutlined,
  ExclamationCircleOutlined,
  FileExclamationOutlined,
  HourglassOutlined,
  PhoneOutlined,
  SyncOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { $api, type Schemas } from '../shared/api';
import { currentLanguage, useTranslation } from '../shared/i18n';
import { formatSpan, formatTime, useNow } from '../shared/time';
import './i18n';

/**
 * Supervision's shared pieces: a stuck reason as an icon and words (never colour alone), a responsible party in
 * the user's language, and the names of stations and departments from the master data (GET /api/stations,
 * /api/departments) for filters and tables.
 */

export type Reason = Schemas['StuckReason']['reason'];
export const reasons: Reason[] = ['overdue', 'check-in-missed', 'report-overdue', 'partner-unreachable', 'activity-retrying', 'workflow-task-failing', 'idle', 'awaiting-resident', 'call-back-due'];
export const categories = ['party-masses', 'government', 'life', 'public'] as const;

const reasonIcons: Record<Reason, ReactNode> = {
  overdue: <ExclamationCircleOutlined aria-hidden />,
  'check-in-missed': <ClockCircleOutlined aria-hidden />,
  'report-overdue': <FileExclamationOutlined aria-hidden />,
  'partner-unreachable': <DisconnectOutlined aria-hidden />,
  'activity-retrying': <SyncOutlined aria-hidden />,
  'workflow-task-failing': <BugOutlined aria-hidden />,
  idle: <HourglassOutlined aria-hidden />,
  'awaiting-resident': <UserOutlined aria-hidden />,
  'call-back-due': <PhoneOutlined aria-hidden />,
};
const reasonTones: Partial<Record<Reason, Tone>> = { overdue: 'error', 'check-in-missed': 'error', 'report-overdue': 'error', 'workflow-task-failing': 'error', 'partner-unreachable': 'warning', 'activity-retrying': 'warning' };

/** Secondary text dark enough for WCAG AA on the console's grey background (antd's secondary is not). */
export const muted = { color: 'rgba(0, 0, 0, 0.65)' } as const;

/** Tag tones with AA contrast (antd's preset colours' text is too light): the words carry the meaning, the tone repeats it. */
export type Tone = 'error' | 'warning' | 'success' | 'processing' | 'default';
export const tones: Record<Tone, CSSProperties> = {
  error: { color: '#a8071a', background: '#fff1f0', borderColor: '#ffa39e' },
  warning: { color: '#873800', background: '#fff7e6', borderColor: '#ffd591' },
  success: { color: '#135200', background: '#f6ffed', borderColor: '#b7eb8f' },
  processing: { color: '#003a8c', background: '#e6f4ff', borderColor: '#91caff' },
  default: {},
};

/** The reason's name with its icon: the words say it, the colour only repeats it. */
export function ReasonTag({ reason }: { reason: Reason }) {
  const { t } = useTranslation('supervision');
  return (
    <Tag style={tones[reasonTones[reason] ?? 'default']} icon={reasonIcons[reason] ?? <ApiOutlined aria-hidden />}>
      {t(`reasons.${reason}`)}
    </Tag>
  );
}

/** Department and station names by id, in the user's language. */
export function useNames() {
  const stations = $api.useQuery('get', '/api/stations', {}, { staleTime: 300_000 });
  const departments = $api.useQuery('get', '/api/departments', {}, { staleTime: 300_000 });
  const zh = currentLanguage() === 'zh-CN';
  const pick = (x: { name: string; nameZh: string }) => (zh ? x.nameZh : x.name);
  const stationList = (stations.data?.items ?? []).map((s) => ({ id: s.id, name: pick(s) }));
  const departmentList = (departments.data?.items ?? []).map((d) => ({ id: d.id, name: pick(d) }));
  const byId = (list: { id: string; name: string }[]) => (id: string | null | undefined) => (id ? (list.find((x) => x.id === id)?.name ?? id) : '—');
  return { stations: stationList, departments: departmentList, station: byId(stationList), department: byId(departmentList) };
}

/** Whose move it is, in the user's language (the resident is never named). */
export function usePartyWords() {
  const { t } = useTranslation('supervision');
  const { department } = useNames();
  return (p: Schemas['ResponsibleParty']) => {
    const name = p.kind === 'department' ? department(p.id) : (p.name ?? p.id ?? '');
    return t(`parties.${p.kind}`, { id: p.id ?? '', name });
  };
}

/** One reason of a stuck case: icon and name, what it concerns, whose move, how long (live), the API's words on hover. */
export function ReasonLine({ reason }: { reason: Schemas['StuckReason'] }) {
  const { t } = useTranslation('supervision');
  const party = usePartyWords();
  const now = useNow(10_000);
  const span = formatSpan(now - Date.parse(reason.since), t);
  const commitment = typeof reason.detail.commitment === 'string' ? reason.detail.commitment : undefined;
  const concerns = commitment
    ? commitment.startsWith('task:')
      ? t('commitments.task', { id: commitment.slice(5) })
      : t(`commitments.${commitment}`, { defaultValue: commitment })
    : undefined;
  return (
    <Space size={4} wrap>
      <ReasonTag reason={reason.reason} />
      {concerns && <Typography.Text>{concerns}</Typography.Text>}
      <Tooltip title={`${formatTime(reason.since)} · ${reason.words}`}>
        <Typography.Text strong={reason.reason === 'overdue'}>{t(reason.reason === 'overdue' ? 'age.overdueBy' : 'age.lasting', { span })}</Typography.Text>
      </Tooltip>
      <Typography.Text style={muted}>{t('whose', { party: party(reason.responsible) })}</Typography.Text>
    </Space>
  );
}
