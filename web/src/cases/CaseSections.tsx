import { Link } from 'react-router-dom';
import { Button, Descriptions, List, Space, Table, Tag, Timeline, Typography } from 'antd';
import { CheckCircleOutlined, ExclamationCircleOutlined, PauseCircleOutlined, WarningOutlined } from '@ant-design/icons';
import type { Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { Countdown, formatTime } from '../shared/time';
import type { CaseView } from './caseActions';
import { useCachedNames } from './masterData';

/** The parts of the case page that show what the case holds: commitments, tasks, plans, whistles, records, timeline. */

type Clock = Schemas['Clock'];
/** Empty states readable at AA contrast (antd's placeholder grey is not). */
const muted = { color: 'rgba(0, 0, 0, 0.65)' };
type TimelineEvent = Schemas['TimelineEvent'];

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section aria-label={title} style={{ marginTop: 24 }}>
      <Typography.Title level={2} style={{ fontSize: 18 }}>
        {title}
      </Typography.Title>
      {children}
    </section>
  );
}
export { Section };

/** The latest warning (50% or 75% of its time) the timeline recorded for a commitment. */
function latestWarning(timeline: TimelineEvent[], clockId: string): number | undefined {
  const warnings = timeline.filter((e) => e.type === 'commitment.warning' && e.data.clock === clockId).map((e) => Number(e.data.percent));
  return warnings.length ? Math.max(...warnings) : undefined;
}

export function Commitments({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  const clocks = view.clocks ?? [];
  const name = (c: Clock) => (c.kind === 'task' ? t('casePage.commitments.task', { id: c.taskId }) : t(`casePage.commitments.${c.kind === 'response' ? 'response' : 'resolution'}`));
  return (
    <Section title={t('casePage.sections.commitments')}>
      <Table<Clock>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={clocks}
        locale={{ emptyText: <span style={muted}>{t('casePage.none')}</span> }}
        columns={[
          { title: t('casePage.commitments.name'), key: 'name', render: (_, c) => name(c) },
          { title: t('casePage.commitments.due'), dataIndex: 'dueAt', render: (d: string) => formatTime(d) },
          {
            title: t('casePage.commitments.left'),
            key: 'left',
            render: (_, c) =>
              c.status === 'running' ? (
                <Countdown due={c.dueAt} warnMs={(Date.parse(c.dueAt) - Date.parse(c.startedAt)) / 4} />
              ) : c.status === 'paused' ? (
                <Tag icon={<PauseCircleOutlined aria-hidden />}>{t('casePage.commitments.statuses.paused')}</Tag>
              ) : (
                '—'
              ),
          },
          {
            title: t('casePage.commitments.status'),
            key: 'status',
            render: (_, c) => (
              <Space size={4} wrap>
                <span>{t(`casePage.commitments.statuses.${c.status}`)}</span>
                {c.provisional && <Tag>{t('casePage.commitments.provisional')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('casePage.commitments.warnings'),
            key: 'warnings',
            render: (_, c) => {
              const percent = latestWarning(view.timeline, c.id);
              return (
                <Space size={4} wrap>
                  {c.breachedAt && (
                    <Tag color="error" style={{ color: '#a8071a' }} icon={<ExclamationCircleOutlined aria-hidden />}>
                      {t('casePage.commitments.breached', { time: formatTime(c.breachedAt) })}
                    </Tag>
                  )}
                  {percent !== undefined && !c.breachedAt && (
                    <Tag color="warning" style={{ color: '#874d00' }} icon={<WarningOutlined aria-hidden />}>
                      {t('casePage.commitments.warning', { percent })}
                    </Tag>
                  )}
                  {c.extensions.length > 0 && <Tag>{t('casePage.commitments.extended', { count: c.extensions.length })}</Tag>}
                </Space>
              );
            },
          },
        ]}
      />
    </Section>
  );
}

export function AssigneeName({ assignee }: { assignee: Schemas['Assignee'] }) {
  const { t } = useTranslation('cases');
  const names = useCachedNames();
  const name = assignee.kind === 'partner' ? names.partner(assignee.id) : assignee.kind === 'department' ? names.department(assignee.id) : assignee.id;
  return (
    <span>
      {t(`casePage.assigneeKinds.${assignee.kind}`)} · {name}
    </span>
  );
}

export function Tasks({ view, onComplete }: { view: CaseView; onComplete?: (taskId: string) => void }) {
  const { t } = useTranslation('cases');
  type Task = Schemas['Task'];
  return (
    <Section title={t('casePage.sections.tasks')}>
      <Table<Task>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={view.tasks ?? []}
        locale={{ emptyText: <span style={muted}>{t('casePage.none')}</span> }}
        columns={[
          { title: t('casePage.tasks.id'), dataIndex: 'id' },
          { title: t('casePage.tasks.title'), dataIndex: 'title' },
          { title: t('casePage.tasks.assignee'), key: 'assignee', render: (_, x) => <AssigneeName assignee={x.assignee} /> },
          { title: t('casePage.tasks.due'), dataIndex: 'dueAt', render: (d: string) => formatTime(d) },
          {
            title: t('casePage.tasks.status'),
            key: 'status',
            render: (_, x) => (
              <Space size={4} wrap>
                <span>{x.status === 'completed' && x.outcome ? t(`casePage.tasks.outcomes.${x.outcome}`) : t(`casePage.tasks.statuses.${x.status}`)}</span>
                {x.acceptedAt && x.status === 'open' && <Tag icon={<CheckCircleOutlined aria-hidden />}>{t('casePage.tasks.accepted')}</Tag>}
              </Space>
            ),
          },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, x) =>
              onComplete && x.status === 'open' ? (
                <Button size="small" onClick={() => onComplete(x.id)}>
                  {t('casePage.tasks.complete', { id: x.id })}
                </Button>
              ) : null,
          },
        ]}
      />
    </Section>
  );
}

export function Plans({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  const plans = view.plans ?? [];
  if (plans.length === 0) return null;
  return (
    <Section title={t('casePage.sections.plans')}>
      <List
        size="small"
        dataSource={[...plans].reverse()}
        renderItem={(p) => (
          <List.Item>
            <div>
              <Typography.Text strong>{t('casePage.plans.revision', { n: p.revision })}</Typography.Text>{' '}
              <Typography.Text type="secondary">{t('casePage.plans.by', { by: p.by, at: formatTime(p.at) })}</Typography.Text>
              <div>
                {t('casePage.plans.goals')}: {p.goals.length ? p.goals.join('；') : '—'}
              </div>
              {p.reason && (
                <div>
                  {t('casePage.plans.reason')}: {p.reason}
                </div>
              )}
              <div>{p.taskIds.join(', ')}</div>
            </div>
          </List.Item>
        )}
      />
    </Section>
  );
}

export function Whistles({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  type Escalation = NonNullable<CaseView['escalations']>[number];
  const escalations = view.escalations ?? [];
  const names = useCachedNames();
  const { i18n } = useTranslation('cases');
  if (escalations.length === 0) return null;
  const reason = (r: string) => (i18n.exists(`cases:casePage.whistleReasons.${r}`) ? t(`casePage.whistleReasons.${r}`) : r);
  return (
    <Section title={t('casePage.sections.whistles')}>
      <Table<Escalation>
        size="small"
        rowKey="id"
        pagination={false}
        dataSource={escalations}
        data-testid="whistles"
        columns={[
          { title: t('casePage.whistles.id'), dataIndex: 'id' },
          { title: t('casePage.whistles.whistle'), dataIndex: 'whistleId', render: (w?: string) => (w ? <Link to={`/whistles/${w}`}>{w}</Link> : '—') },
          { title: t('casePage.whistles.status'), dataIndex: 'status', render: (s: Escalation['status']) => t(`casePage.whistles.statuses.${s}`) },
          { title: t('casePage.whistles.departments'), dataIndex: 'departments', render: (d?: string[]) => d?.map(names.department).join('、') ?? '—' },
          { title: t('casePage.whistles.lead'), dataIndex: 'lead', render: (l?: string) => (l ? names.department(l) : '—') },
          { title: t('casePage.whistles.reason'), dataIndex: 'reason', render: reason },
        ]}
      />
    </Section>
  );
}

export function Records({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  const a = view.acceptance;
  const d = view.diagnosis;
  const c = view.closure;
  const e = view.evaluation;
  if (!a && !d && !c && !e) return null;
  const by = (x: { by: string; at: string }) => `${x.by} · ${formatTime(x.at)}`;
  return (
    <Section title={t('casePage.sections.records')}>
      <Space direction="vertical" style={{ width: '100%' }}>
        {a && (
          <Descriptions size="small" bordered column={1} title={t('casePage.records.acceptance')}>
            <Descriptions.Item label={t('casePage.records.decision')}>{t(`casePage.decisions.${a.decision}`)}</Descriptions.Item>
            <Descriptions.Item label={t('casePage.records.documents')}>{a.documents.join('、') || '—'}</Descriptions.Item>
            {(view.missingDocuments ?? []).length > 0 && (
              <Descriptions.Item label={t('casePage.records.missingDocuments')}>{view.missingDocuments!.join('、')}</Descriptions.Item>
            )}
            {a.transferTo && <Descriptions.Item label={t('casePage.records.transferTo')}>{a.transferTo.name}</Descriptions.Item>}
            {a.note && <Descriptions.Item label={t('casePage.records.note')}>{a.note}</Descriptions.Item>}
            <Descriptions.Item label={t('casePage.records.by')}>{by(a)}</Descriptions.Item>
          </Descriptions>
        )}
        {d && (
          <Descriptions size="small" bordered column={1} title={t('casePage.records.diagnosis')}>
            <Descriptions.Item label={t('casePage.records.findings')}>{d.findings}</Descriptions.Item>
            {d.causes && <Descriptions.Item label={t('casePage.records.causes')}>{d.causes}</Descriptions.Item>}
            {d.resources && <Descriptions.Item label={t('casePage.records.resources')}>{d.resources}</Descriptions.Item>}
            {d.homeVisit && (
              <Descriptions.Item label={t('casePage.records.homeVisit')}>
                {d.homeVisit.date} · {d.homeVisit.staff.join('、')} · {d.homeVisit.notes}
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t('casePage.records.by')}>{by(d)}</Descriptions.Item>
          </Descriptions>
        )}
        {c && (
          <Descriptions size="small" bordered column={1} title={t('casePage.records.closure')}>
            <Descriptions.Item label={t('casePage.records.resolution')}>{t(`casePage.resolutions.${c.resolution}`)}</Descriptions.Item>
            {c.summary && <Descriptions.Item label={t('casePage.records.summary')}>{c.summary}</Descriptions.Item>}
            {c.reason && <Descriptions.Item label={t('casePage.records.reason')}>{c.reason}</Descriptions.Item>}
            {c.certificateNo && <Descriptions.Item label={t('casePage.records.certificateNo')}>{c.certificateNo}</Descriptions.Item>}
            {c.transferTo && <Descriptions.Item label={t('casePage.records.transferTo')}>{c.transferTo.name}</Descriptions.Item>}
            <Descriptions.Item label={t('casePage.records.by')}>{by(c)}</Descriptions.Item>
          </Descriptions>
        )}
        {e && (
          <Descriptions size="small" bordered column={1} title={t('casePage.records.evaluation')}>
            <Descriptions.Item label={t('casePage.records.rating')}>{t(`casePage.ratings.${e.rating}`)}</Descriptions.Item>
            <Descriptions.Item label={t('casePage.records.via')}>{t(`casePage.via.${e.via}`)}</Descriptions.Item>
            {e.comment && <Descriptions.Item label={t('casePage.records.comment')}>{e.comment}</Descriptions.Item>}
            <Descriptions.Item label={t('casePage.records.by')}>{by(e)}</Descriptions.Item>
          </Descriptions>
        )}
      </Space>
    </Section>
  );
}

/** The timeline, newest first: each event's Beijing time, its kind in words, who, and the whistle it belongs to. */
export function CaseTimeline({ view }: { view: CaseView }) {
  const { t, i18n } = useTranslation('cases');
  const events = [...view.timeline].sort((a, b) => b.at.localeCompare(a.at) || b.seq - a.seq);
  const kind = (type: string) => (i18n.exists(`cases:casePage.events.${type}`) ? t(`casePage.events.${type}`) : t('casePage.events.other', { type }));
  const what = (e: TimelineEvent) =>
    e.type === 'stage.entered' && typeof e.data.stage === 'string' && i18n.exists(`cases:casePage.stages.${e.data.stage}`)
      ? t('casePage.timeline.stage', { kind: kind(e.type), stage: t(`casePage.stages.${e.data.stage}`) })
      : kind(e.type);
  return (
    <Section title={t('casePage.sections.timeline')}>
      <Typography.Paragraph type="secondary">{t('casePage.timeline.newestFirst')}</Typography.Paragraph>
      <Timeline
        data-testid="timeline"
        items={events.map((e) => ({
          key: `${e.whistleId ?? 'case'}-${e.seq}`,
          content: (
            <div>
              <time dateTime={e.at}>{formatTime(e.at)}</time> · <strong>{what(e)}</strong> · <span>{t('casePage.timeline.by', { actor: e.actor })}</span>
              {e.whistleId && <Tag style={{ marginLeft: 8 }}>{t('casePage.timeline.whistle', { id: e.whistleId })}</Tag>}
            </div>
          ),
        }))}
      />
    </Section>
  );
}
