import { Link, useParams } from 'react-router-dom';
import { Alert, Card, Descriptions, Space, Table, Tag, Timeline, Typography, type TableColumnsType } from 'antd';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemPage } from '../shared/problems';
import { useMe } from '../shared/session';
import { Countdown, formatTime } from '../shared/time';
import { DepartmentActions, StationRatings, SupervisorActions } from './actions';
import { OverdueTag, warnReport } from './InboxPage';
import { useDepartmentNames, useUrgencyNames } from './names';
import './i18n';

/**
 * One whistle: the matter, its case (for staff and supervisors), every department's call with its deadlines,
 * the whistle's own timeline, and only the actions its state allows the caller. Polled every 5 s, so a
 * department's check-in shows on the station's and the supervisor's screens without a reload.
 */

type Whistle = Schemas['WhistleView'];
type Call = Whistle['calls'][number];
type Event = Whistle['timeline'][number];

export default function WhistlePage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('whistles');
  const me = useMe();
  const query = $api.useQuery('get', '/api/whistles/{id}', { params: { path: { id } } }, { refetchInterval: 5000, retry: false });
  if (query.error) return <ProblemPage problem={query.error} />;
  if (!query.data) return <Typography.Paragraph role="status">{t('common:loading')}</Typography.Paragraph>;
  const whistle = query.data;
  const myCall = me.role === 'department' ? whistle.calls.find((c) => c.departmentId === me.department?.id) : undefined;
  const supervises = me.role === 'supervisor' || me.role === 'admin';
  // Who may rate the departments (api/http/authorization.ts): the whistle's station's staff, its subdistrict's supervisor, an admin.
  const rates =
    (me.role === 'staff' && me.station?.id === whistle.stationId) || (me.role === 'supervisor' && me.subdistrict?.id === whistle.subdistrictId) || me.role === 'admin';
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('page.title', { id: whistle.id })}
      </Typography.Title>
      {!whistle.live && <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={t('page.notLive')} />}
      <Summary whistle={whistle} showCase={me.role !== 'department'} />
      {myCall && whistle.live && (
        <Card style={{ marginBottom: 16 }} title={<Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>{t('page.myCall')}</Typography.Title>}>
          <DepartmentActions whistle={whistle} call={myCall} />
        </Card>
      )}
      {supervises && whistle.live && whistle.status === 'open' && (
        <Card style={{ marginBottom: 16 }} title={<Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>{t('page.supervisor')}</Typography.Title>}>
          <SupervisorActions whistle={whistle} />
        </Card>
      )}
      {rates && whistle.live && whistle.status !== 'open' && (
        <Card style={{ marginBottom: 16 }} title={<Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>{t('page.ratings')}</Typography.Title>}>
          <StationRatings whistle={whistle} />
        </Card>
      )}
      <Calls whistle={whistle} />
      <WhistleTimeline events={whistle.timeline} />
    </>
  );
}

function Summary({ whistle, showCase }: { whistle: Whistle; showCase: boolean }) {
  const { t } = useTranslation('whistles');
  const urgency = useUrgencyNames();
  const names = useDepartmentNames();
  const span = (n: number, unit: string) => t(`units.${unit}`, { count: n });
  return (
    <Card style={{ marginBottom: 16 }}>
      <Descriptions column={{ xs: 1, md: 2 }} size="small">
        <Descriptions.Item label={t('page.matter')} span={2}>
          <span data-testid="matter">{whistle.summary}</span>
        </Descriptions.Item>
        {whistle.location && (
          <Descriptions.Item label={t('page.location')} span={2}>
            {whistle.location}
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('page.status')}>
          <Space wrap>
            <Tag>{t(`status.${whistle.status}`)}</Tag>
            {whistle.status === 'open' && <Tag>{t(`state.${whistle.state}`)}</Tag>}
            {whistle.overdue && <OverdueTag />}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('page.nextDue')}>
          {whistle.nextDueAt ? (
            <Space wrap>
              {formatTime(whistle.nextDueAt)}
              <Countdown due={whistle.nextDueAt} warnMs={warnReport} />
            </Space>
          ) : (
            '—'
          )}
        </Descriptions.Item>
        {showCase && (
          <Descriptions.Item label={t('page.case')}>
            <Link to={`/cases/${whistle.caseId}`}>{whistle.caseId}</Link>
          </Descriptions.Item>
        )}
        <Descriptions.Item label={t('page.service')}>{whistle.serviceCode}</Descriptions.Item>
        <Descriptions.Item label={t('page.reason')}>{t(`reason.${whistle.reason}`)}</Descriptions.Item>
        <Descriptions.Item label={t('page.urgency')}>
          {urgency(whistle.urgency)}
          {whistle.rules && (
            <Typography.Text type="secondary">
              {' '}
              （{t('page.rulesLine', { checkIn: span(whistle.rules.checkInGoal, whistle.rules.checkInUnit), report: span(whistle.rules.reportGoal, whistle.rules.reportUnit) })}）
            </Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('page.blownAt')}>{formatTime(whistle.initiatedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('page.blownBy')}>{whistle.initiatedBy}</Descriptions.Item>
        <Descriptions.Item label={t('page.lead')}>{names.name(whistle.lead)}</Descriptions.Item>
        {whistle.completion && (
          <Descriptions.Item label={t('page.completion')} span={2}>
            {t(`outcome.${whistle.completion.outcome}`)} · {formatTime(whistle.completion.at)}
            {whistle.completion.note && <div>{whistle.completion.note}</div>}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}

function Calls({ whistle }: { whistle: Whistle }) {
  const { t } = useTranslation('whistles');
  const names = useDepartmentNames();
  const deadline = (at: string, live: boolean, warnMs: number) => (
    <Space direction="vertical" size={2}>
      <span>{formatTime(at)}</span>
      {live && <Countdown due={at} warnMs={warnMs} />}
    </Space>
  );
  const columns: TableColumnsType<Call> = [
    { title: t('columns.department'), dataIndex: 'departmentId', render: (d: string) => names.name(d) },
    { title: t('columns.role'), dataIndex: 'role', render: (r: Call['role']) => t(`role.${r}`) },
    { title: t('columns.status'), dataIndex: 'status', render: (s: Call['status']) => <Tag>{t(`callStatus.${s}`)}</Tag> },
    { title: t('columns.checkInDue'), dataIndex: 'checkInDueAt', render: (at: string, c) => deadline(at, c.state === 'awaiting-check-in', 10 * 60_000) },
    { title: t('columns.checkedInAt'), dataIndex: 'checkedInAt', render: (at?: string) => formatTime(at) },
    { title: t('columns.reportDue'), dataIndex: 'reportDueAt', render: (at: string, c) => deadline(at, c.state === 'in-progress', warnReport) },
    {
      title: t('columns.report'),
      key: 'report',
      render: (_: unknown, c) =>
        c.report ? (
          <>
            <div>
              {t(`outcome.${c.report.outcome}`)} · {formatTime(c.report.at)}
              {!c.report.onTime && <OverdueTag label={t('overdue')} />}
            </div>
            {c.report.note && <Typography.Text type="secondary">{c.report.note}</Typography.Text>}
          </>
        ) : (
          '—'
        ),
    },
    {
      title: t('columns.dispute'),
      key: 'dispute',
      render: (_: unknown, c) => {
        const d = c.disputes.at(-1);
        if (!d) return '—';
        return (
          <>
            <div>{d.reason}</div>
            <Typography.Text type="secondary">{d.decision ? t('page.decided', { decision: t(`decision.${d.decision}`) }) : t('page.pendingDispute')}</Typography.Text>
          </>
        );
      },
    },
  ];
  return (
    <Card style={{ marginBottom: 16 }} title={<Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>{t('page.calls')}</Typography.Title>}>
      <Table<Call> rowKey="departmentId" columns={columns} dataSource={whistle.calls} pagination={false} scroll={{ x: true }} data-testid="calls" />
    </Card>
  );
}

function WhistleTimeline({ events }: { events: Event[] }) {
  const { t } = useTranslation('whistles');
  const names = useDepartmentNames();
  const detail = (e: Event) => {
    const d = e.data;
    const parts: string[] = [];
    if (typeof d.departmentId === 'string') parts.push(names.name(d.departmentId));
    if (typeof d.outcome === 'string') parts.push(t(`outcome.${d.outcome}`, { defaultValue: d.outcome }));
    if (typeof d.decision === 'string') parts.push(t(`decision.${d.decision}`, { defaultValue: d.decision }));
    if (typeof d.reason === 'string') parts.push(d.reason);
    if (typeof d.note === 'string') parts.push(d.note);
    return parts.join(' · ');
  };
  return (
    <Card title={<Typography.Title level={2} style={{ fontSize: 18, margin: 0 }}>{t('page.timeline')}</Typography.Title>}>
      {events.length === 0 ? (
        <Typography.Text type="secondary">{t('page.noTimeline')}</Typography.Text>
      ) : (
        <Timeline
          items={events.map((e) => ({
            key: `${e.seq}`,
            children: (
              <div data-testid="timeline-event">
                <Typography.Text strong>{t(`events.${e.type.replace(/^whistle\./, '')}`, { defaultValue: t('events.other', { type: e.type }) })}</Typography.Text>
                <Typography.Text type="secondary">
                  {' '}
                  {formatTime(e.at)} · {t('eventBy', { actor: e.actor, role: t(`common:roles.${e.actorRole}`, { defaultValue: t(`actorRoles.${e.actorRole}`, { defaultValue: e.actorRole }) }) })}
                </Typography.Text>
                {detail(e) && <div>{detail(e)}</div>}
              </div>
            ),
          }))}
        />
      )}
    </Card>
  );
}
