import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, Button, Card, Descriptions, Space, Spin, Steps, Tag, Typography } from 'antd';
import { ExclamationCircleOutlined, PauseCircleOutlined, WarningOutlined } from '@ant-design/icons';
import { $api, isProblem } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage } from '../shared/problems';
import { useMe } from '../shared/session';
import { Countdown, formatTime } from '../shared/time';
import { AcceptForm, CloseForm, CompleteTaskForm, DiagnoseForm, EvaluateForm, PauseForm, PlanForm, ResumeForm, WhistleForm } from './ActionForms';
import { allowedActions, type CaseAction, type CaseView, sixStages } from './caseActions';
import { CaseTimeline, Commitments, Plans, Records, Section, Tasks, Whistles } from './CaseSections';
import { CaseDiagnostics, CaseInterventions } from './SupervisorPanels';
import { useInvalidateCase } from './ActionModal';
import { useCachedNames } from './masterData';

/**
 * The case page (/cases/:id): one request for the case (polled every 5 s: the workflow moves on its own —
 * stages, warnings, a department's report), the six stages, commitments with live countdowns, tasks, plans,
 * whistles, records and the timeline, and only the actions the case's stage allows, each a small form.
 * Supervisors and admins also get the diagnostics and interventions.
 */
export default function CasePage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('cases');
  const me = useMe();
  const query = $api.useQuery(
    'get',
    '/api/cases/{id}',
    { params: { path: { id } } },
    { refetchInterval: 5_000, retry: (n, err) => n < 1 && !(isProblem(err) && (err.status ?? 500) < 500) },
  );
  const [open, setOpen] = useState<{ action: CaseAction; taskId?: string }>();
  const invalidate = useInvalidateCase();

  if (query.isPending) {
    return (
      <div role="status" style={{ padding: 48, textAlign: 'center' }}>
        <Spin /> <span style={{ marginLeft: 8 }}>{t('common:loading')}</span>
      </div>
    );
  }
  // A case never read is a problem page (403, 404); a later poll that failed keeps the case shown, with the problem above it.
  if (!query.data) return <ProblemPage problem={query.error} />;

  const view = query.data;
  const allowed = allowedActions(view);
  const overseer = me.role === 'supervisor' || me.role === 'admin';
  const close = () => setOpen(undefined);
  const order: CaseAction[] = ['accept', 'diagnose', 'plan', 'revisePlan', 'completeTask', 'whistle', 'pause', 'resume', 'close', 'evaluate'];

  return (
    <article aria-labelledby="case-title">
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={1} id="case-title" style={{ fontSize: 24, margin: 0 }}>
          {t('casePage.title', { id: view.id })}
        </Typography.Title>
        <Link to="/cases">{t('casePage.back')}</Link>
      </Space>
      <StatusTags view={view} />
      {query.isRefetchError && <ProblemAlert problem={query.error} />}
      {!view.live && <Alert type="warning" showIcon style={{ marginTop: 12 }} message={t('casePage.notLive')} />}
      {view.erasedAt && <Alert type="info" showIcon style={{ marginTop: 12 }} message={t('casePage.erased', { time: formatTime(view.erasedAt) })} />}

      <Header view={view} />

      <Section title={t('casePage.sections.stages')}>
        <Stages view={view} />
      </Section>

      <Card size="small" title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('casePage.sections.actions')}</h2>} style={{ marginTop: 16 }} data-testid="case-actions">
        {allowed.size === 0 ? (
          <Typography.Text type="secondary">{t('casePage.sections.noActions')}</Typography.Text>
        ) : (
          <Space wrap>
            {order
              .filter((a) => allowed.has(a))
              .map((a, i) => (
                <Button key={a} type={i === 0 ? 'primary' : 'default'} onClick={() => setOpen({ action: a })}>
                  {t(`casePage.actions.${a}`)}
                </Button>
              ))}
          </Space>
        )}
        <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
          {t('casePage.refreshNote')}
        </Typography.Paragraph>
      </Card>

      {overseer && (
        <Section title={t('casePage.sections.supervision')}>
          <CaseDiagnostics caseId={view.id} />
          <CaseInterventions caseId={view.id} onDone={() => void invalidate()} />
        </Section>
      )}

      <Commitments view={view} />
      <Tasks view={view} onComplete={allowed.has('completeTask') ? (taskId) => setOpen({ action: 'completeTask', taskId }) : undefined} />
      <Plans view={view} />
      <Whistles view={view} />
      <Records view={view} />
      <CaseTimeline view={view} />

      {open?.action === 'accept' && <AcceptForm view={view} onClose={close} />}
      {open?.action === 'diagnose' && <DiagnoseForm view={view} onClose={close} />}
      {(open?.action === 'plan' || open?.action === 'revisePlan') && <PlanForm view={view} onClose={close} revision={open.action === 'revisePlan'} />}
      {open?.action === 'completeTask' && <CompleteTaskForm view={view} onClose={close} taskId={open.taskId} />}
      {open?.action === 'pause' && <PauseForm view={view} onClose={close} />}
      {open?.action === 'resume' && <ResumeForm view={view} onClose={close} />}
      {open?.action === 'close' && <CloseForm view={view} onClose={close} />}
      {open?.action === 'evaluate' && <EvaluateForm view={view} onClose={close} />}
      {open?.action === 'whistle' && <WhistleForm view={view} onClose={close} />}
    </article>
  );
}

/** The case's state in words and icons (never colour alone): stage, paused, overdue, how it ended. */
function StatusTags({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  return (
    <Space size={4} wrap style={{ marginTop: 8 }} data-testid="case-status">
      <Tag color="blue">{t(`casePage.stages.${view.stage}`)}</Tag>
      {view.resolution && <Tag>{t(`casePage.resolutions.${view.resolution}`)}</Tag>}
      {view.closure && !view.evaluation && view.stage !== 'closed' && <Tag>{t('casePage.status.awaitingEvaluation')}</Tag>}
      {view.paused && (
        <Tag icon={<PauseCircleOutlined aria-hidden />} color="default">
          {t('casePage.status.paused', { reason: view.pause?.reason ?? '' })}
        </Tag>
      )}
      {view.overdue && (
        <Tag icon={<ExclamationCircleOutlined aria-hidden />} color="error" style={{ color: '#a8071a' }}>
          {t('casePage.status.overdue')}
        </Tag>
      )}
      {view.awaitingRevision && <Tag icon={<WarningOutlined aria-hidden />}>{t('casePage.status.awaitingRevision')}</Tag>}
      {view.partnerUnreachable && (
        <Tag icon={<WarningOutlined aria-hidden />} color="warning" style={{ color: '#874d00' }}>
          {t('casePage.status.partnerUnreachable')}
        </Tag>
      )}
    </Space>
  );
}

function Header({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  const names = useCachedNames();
  return (
    <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }} style={{ marginTop: 16 }} data-testid="case-header">
      <Descriptions.Item label={t('casePage.header.service')}>{names.service(view.serviceCode)}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.category')}>{t(`casePage.categories.${view.category}`)}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.channel')}>{t(`casePage.channels.${view.channel}`)}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.openedAt')}>{formatTime(view.openedAt)}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.openedBy')}>{view.openedBy}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.owner')}>{view.owner ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.residentName')}>{view.resident.name}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.residentPhone')}>{view.resident.phone ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.residentAddress')}>{view.resident.address ?? '—'}</Descriptions.Item>
      <Descriptions.Item label={t('casePage.header.nextDue')}>{view.nextDueAt ? <Countdown due={view.nextDueAt} /> : '—'}</Descriptions.Item>
      {view.relatedCaseId && (
        <Descriptions.Item label={t('casePage.header.relatedCase')}>
          <Link to={`/cases/${view.relatedCaseId}`}>{view.relatedCaseId}</Link>
        </Descriptions.Item>
      )}
      <Descriptions.Item label={t('casePage.header.demand')} span="filled">
        {view.demand}
      </Descriptions.Item>
    </Descriptions>
  );
}

/** The six stages: done, current (with its status: waiting while paused, error while overdue), to come. */
function Stages({ view }: { view: CaseView }) {
  const { t } = useTranslation('cases');
  const closed = view.stage === 'closed';
  const current = closed ? sixStages.length : sixStages.indexOf(view.stage as (typeof sixStages)[number]);
  return (
    <Steps
      size="small"
      current={current}
      status={closed ? 'finish' : view.overdue ? 'error' : view.paused ? 'wait' : 'process'}
      items={sixStages.map((s, i) => ({
        title: t(`casePage.stages.${s}`),
        ...(i === current ? { 'aria-current': 'step' as const } : {}),
      }))}
      data-testid="case-stages"
    />
  );
}
