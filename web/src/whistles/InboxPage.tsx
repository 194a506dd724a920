import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Table, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import { ExclamationCircleOutlined } from '@ant-design/icons';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert } from '../shared/problems';
import { useMe } from '../shared/session';
import { Countdown, formatTime } from '../shared/time';
import { useUrgencyNames } from './names';
import { muted } from './style';
import './i18n';

/**
 * The whistle inbox: a department's own calls (the whistles that call it, by its own next deadline), or for
 * staff, supervisors and admins the whistles of their scope — in three tabs by state, polled every 5 s so a
 * new whistle appears without a reload.
 */

type Item = Schemas['WhistleListItem'];
const states = ['awaiting-check-in', 'in-progress', 'done'] as const;
type State = (typeof states)[number];

/** A check-in clock is short (30 minutes when urgent): warn in its last 10 minutes; a report's in its last 4 hours. */
const warnCheckIn = 10 * 60_000;
export const warnReport = 4 * 3600_000;

function useInbox(state: State) {
  return $api.useQuery('get', '/api/whistles', { params: { query: { state, limit: 100 } } }, { refetchInterval: 5000, refetchIntervalInBackground: true });
}

export default function InboxPage() {
  const { t } = useTranslation('whistles');
  const me = useMe();
  const department = me.role === 'department';
  const [tab, setTab] = useState<State>('awaiting-check-in');
  const lists = { 'awaiting-check-in': useInbox('awaiting-check-in'), 'in-progress': useInbox('in-progress'), done: useInbox('done') };
  const urgency = useUrgencyNames();

  const columns = (state: State): TableColumnsType<Item> => [
    { title: t('columns.whistle'), dataIndex: 'id', render: (id: string) => <Link to={`/whistles/${id}`}>{id}</Link> },
    department
      ? { title: t('columns.case'), dataIndex: 'caseId' }
      : { title: t('columns.case'), dataIndex: 'caseId', render: (caseId: string) => <Link to={`/cases/${caseId}`}>{caseId}</Link> },
    {
      title: t('columns.matter'),
      dataIndex: 'summary',
      render: (summary: string, w) => (
        <>
          <div>{summary}</div>
          {w.location && <Typography.Text type="secondary">{w.location}</Typography.Text>}
        </>
      ),
    },
    { title: t('columns.urgency'), dataIndex: 'urgency', render: (code: string) => urgency(code) },
    ...(department ? [{ title: t('columns.role'), key: 'role', render: (_: unknown, w: Item) => (w.call ? t(`role.${w.call.role}`) : '—') }] : []),
    { title: t('columns.blownAt'), dataIndex: 'initiatedAt', render: (at: string) => formatTime(at) },
    ...deadlineColumn(state),
  ];

  const deadlineColumn = (state: State): TableColumnsType<Item> => {
    if (state === 'done') return [{ title: t('columns.outcome'), dataIndex: 'outcome', render: (o: Item['outcome']) => (o ? t(`outcome.${o}`) : '—') }];
    const check = state === 'awaiting-check-in';
    return [
      {
        title: check ? t('columns.checkInLeft') : t('columns.reportLeft'),
        key: 'due',
        render: (_: unknown, w) => (
          <>
            <Countdown due={(check ? w.call?.checkInDueAt : w.call?.reportDueAt) ?? w.nextDueAt} warnMs={check ? warnCheckIn : warnReport} />
            {w.overdue && <OverdueTag />}
          </>
        ),
      },
    ];
  };

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {department ? t('inbox.titleDepartment') : t('inbox.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('inbox.hint')}</Typography.Paragraph>
      <Tabs
        activeKey={tab}
        onChange={(k) => setTab(k as State)}
        items={states.map((s) => ({
          key: s,
          label: (
            <span data-testid={`tab-${s}`}>
              {t(`inbox.tabs.${s}`)} <Badge count={lists[s].data?.items.length ?? 0} showZero color={s === 'done' ? '#595959' : '#0958d9'} />
            </span>
          ),
          children: (
            <div aria-busy={lists[s].isPending} data-testid={`list-${s}`}>
              {lists[s].error && <ProblemAlert problem={lists[s].error} />}
              <Table<Item>
                rowKey="id"
                aria-label={t('inbox.table', { tab: t(`inbox.tabs.${s}`) })}
                loading={lists[s].isPending}
                dataSource={lists[s].data?.items ?? []}
                columns={columns(s)}
                pagination={false}
                locale={{ emptyText: <span style={muted}>{t(`inbox.empty.${s}`)}</span> }}
              />
            </div>
          ),
        }))}
      />
    </>
  );
}

export function OverdueTag({ label }: { label?: string }) {
  const { t } = useTranslation('whistles');
  return (
    <Tag color="error" icon={<ExclamationCircleOutlined aria-hidden />} style={{ marginTop: 4 }}>
      {label ?? t('overdueWhistle')}
    </Tag>
  );
}
