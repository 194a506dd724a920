import { useState } from 'react';
import { Alert, Button, DatePicker, Descriptions, Form, Input, Radio, Select, Space, Spin, Table, Tag, Typography, type TableProps } from 'antd';
import { ExclamationCircleOutlined, WarningOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { $api, fetchClient, idempotencyKey, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert } from '../shared/problems';
import { beijing, dayjs, formatTime } from '../shared/time';
import { ActionModal, answered, beijingIso, nameOf } from './ActionModal';
import { openWhistles, type CaseView } from './caseActions';
import './i18n';

/**
 * The case page's parts for supervisors and admins: diagnostics (why a case is where it is: what it waits on,
 * its commitments, the workflow's pending activities and failing workflow task) and the interventions (extend a
 * commitment, urge, reassign, withdraw), each a form posting the intervention's route with the API's field
 * errors beside the fields. Rendered by CasePage for those roles.
 */

type Diagnostics = Schemas['CaseDiagnostics'];
const p = 'supervisorPanels.diagnostics';
const q = 'supervisorPanels.interventions';

function H3({ children }: { children: string }) {
  return (
    <Typography.Title level={3} style={{ fontSize: 15, marginTop: 16 }}>
      {children}
    </Typography.Title>
  );
}

/** A table of `dataSource`, or its empty text as a paragraph (antd's empty cell is too faint for AA contrast). */
function TableOrNone<T extends object>({ empty, ...props }: TableProps<T> & { empty: string }) {
  if ((props.dataSource ?? []).length === 0) return <Typography.Paragraph>{empty}</Typography.Paragraph>;
  return <Table<T> size="small" pagination={false} {...props} />;
}

function Party({ kind, id }: { kind: string; id?: string }) {
  const { t } = useTranslation('cases');
  return (
    <Tag>
      {t(`${p}.parties.${kind}`)}
      {id ? ` ${id}` : ''}
    </Tag>
  );
}

/** A commitment's name as the case page names it: response, resolution, task T1's. */
function useCommitmentName(): (id: string) => string {
  const { t } = useTranslation('cases');
  return (id) => (id.startsWith('task:') ? t('casePage.commitments.task', { id: id.slice(5) }) : t(`casePage.commitments.${id}`, { defaultValue: id }));
}

export function CaseDiagnostics({ caseId }: { caseId: string }) {
  const { t } = useTranslation('cases');
  const commitmentName = useCommitmentName();
  const query = $api.useQuery('get', '/api/cases/{id}/diagnostics', { params: { path: { id: caseId } } }, { refetchInterval: 10_000, retry: false });
  if (query.isPending)
    return (
      <div role="status">
        <Spin /> {t(`${p}.loading`)}
      </div>
    );
  if (query.isError) return <ProblemAlert problem={query.error} />;
  const d: Diagnostics = query.data;
  const wt = d.workflow?.pendingWorkflowTask;
  return (
    <section aria-labelledby="case-diagnostics-title" data-testid="case-diagnostics">
      <Typography.Title level={3} id="case-diagnostics-title" style={{ fontSize: 16, marginTop: 0 }}>
        {t(`${p}.title`)}
      </Typography.Title>
      <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
        <Descriptions.Item label={t(`${p}.waitingOn`)} span={2}>
          {d.waitingOn ? (
            <Space wrap data-testid="waiting-on">
              {d.waitingOn.on.map((o) => (
                <Party key={`${o.kind}:${o.id ?? ''}`} kind={o.kind} id={o.id} />
              ))}
              <span>{d.waitingOn.words}</span>
            </Space>
          ) : (
            '—'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t(`${p}.status`)}>
          <Space wrap>
            <Tag color="blue">{t(`${p}.statuses.${d.case.status}`)}</Tag>
            <Tag>{t(`casePage.stages.${d.case.stage}`)}</Tag>
            {d.case.overdue ? (
              <Tag color="error" icon={<ExclamationCircleOutlined aria-hidden />}>
                {t(`${p}.overdue`)}
              </Tag>
            ) : (
              <Tag>{t(`${p}.onTime`)}</Tag>
            )}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t(`${p}.updatedAt`)}>{formatTime(d.case.updatedAt)}</Descriptions.Item>
      </Descriptions>

      {!d.live ? (
        <Alert type="warning" showIcon style={{ marginTop: 12 }} message={t(`${p}.noLive`)} />
      ) : (
        <>
          <H3>{t(`${p}.commitments`)}</H3>
          <TableOrNone
            empty={t('common:none')}
            rowKey="id"
            dataSource={d.live.commitments}
            columns={[
              { key: 'id', title: t(`${p}.commitment`), render: (_, c) => commitmentName(c.id) },
              { key: 'assignee', title: t(`${p}.assignee`), render: (_, c) => <Party kind={c.assignee.kind} id={c.assignee.id} /> },
              { key: 'due', title: t(`${p}.due`), render: (_, c) => formatTime(c.dueAt) },
              { key: 'status', title: t(`${p}.commitmentStatus`), render: (_, c) => t(`casePage.commitments.statuses.${c.status}`) },
              {
                key: 'breached',
                title: t(`${p}.breached`),
                render: (_, c) =>
                  c.breached ? (
                    <Tag color="error" icon={<ExclamationCircleOutlined aria-hidden />}>
                      {t(`${p}.breached`)} {formatTime(c.breachedAt)}
                    </Tag>
                  ) : (
                    t(`${p}.notBreached`)
                  ),
              },
            ]}
          />
          {d.live.openTasks.length > 0 && (
            <>
              <H3>{t(`${p}.openTasks`)}</H3>
              <Table
                size="small"
                pagination={false}
                rowKey="id"
                dataSource={d.live.openTasks}
                columns={[
                  { key: 'id', title: t(`${p}.task`), dataIndex: 'id' },
                  { key: 'assignee', title: t(`${p}.assignee`), render: (_, x) => <Party kind={x.assignee.kind} id={x.assignee.id} /> },
                  { key: 'due', title: t(`${p}.due`), render: (_, x) => formatTime(x.dueAt) },
                  { key: 'accepted', title: t(`${p}.accepted`), render: (_, x) => t(x.accepted ? `${p}.accepted` : `${p}.notAccepted`) },
                ]}
              />
            </>
          )}
          {d.live.unreachable.length > 0 && (
            <Alert
              type="warning"
              showIcon
              style={{ marginTop: 12 }}
              message={t(`${p}.unreachable`)}
              description={d.live.unreachable.map((u) => (
                <div key={u.notificationId}>
                  <Party kind={u.recipient.kind} id={u.recipient.id} /> {u.kind} · {formatTime(u.since)}
                </div>
              ))}
            />
          )}
          {d.live.projectionFailures > 0 && <Alert type="warning" showIcon style={{ marginTop: 12 }} message={t(`${p}.projectionFailures`, { count: d.live.projectionFailures })} />}
        </>
      )}

      <H3>{t(`${p}.workflow`)}</H3>
      {!d.workflow ? (
        <Typography.Paragraph>{t(`${p}.noWorkflow`)}</Typography.Paragraph>
      ) : (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
            <Descriptions.Item label={t(`${p}.workflowStatus`)}>{d.workflow.status}</Descriptions.Item>
            <Descriptions.Item label={t(`${p}.historyLength`)}>{d.workflow.historyLength}</Descriptions.Item>
            <Descriptions.Item label={t(`${p}.runs`)}>{d.live?.runs ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t(`${p}.taskQueue`)}>{d.workflow.taskQueue}</Descriptions.Item>
            <Descriptions.Item label={t(`${p}.workflowTask`)} span={2}>
              <span data-testid="workflow-task">
                {!wt ? (
                  t(`${p}.noWorkflowTask`)
                ) : wt.attempt > 1 ? (
                  <Tag color="error" icon={<WarningOutlined aria-hidden />}>
                    {t(`${p}.workflowTaskFailing`, { attempt: wt.attempt })}
                  </Tag>
                ) : (
                  t(`${p}.workflowTaskOk`, { attempt: wt.attempt })
                )}
              </span>
            </Descriptions.Item>
          </Descriptions>
          <H3>{t(`${p}.pendingActivities`)}</H3>
          <TableOrNone
            empty={t(`${p}.noPendingActivities`)}
            rowKey="activityId"
            dataSource={d.workflow.pendingActivities}
            columns={[
              { key: 'type', title: t(`${p}.activity`), dataIndex: 'activityType' },
              { key: 'state', title: t(`${p}.state`), dataIndex: 'state' },
              {
                key: 'attempt',
                title: t(`${p}.attempt`),
                render: (_, a) => (a.maximumAttempts > 0 ? t(`${p}.attemptOf`, { attempt: a.attempt, max: a.maximumAttempts }) : t(`${p}.unlimited`, { attempt: a.attempt })),
              },
              { key: 'failure', title: t(`${p}.lastFailure`), render: (_, a) => a.lastFailure ?? '—' },
              { key: 'next', title: t(`${p}.nextAttempt`), render: (_, a) => formatTime(a.nextAttemptScheduleTime) },
            ]}
          />
        </>
      )}
      <H3>{t(`${p}.retrying`)}</H3>
      <TableOrNone
        empty={t(`${p}.noRetrying`)}
        rowKey={(r) => `${r.workflowId}/${r.activityId}`}
        dataSource={d.retryingActivities}
        columns={[
          { key: 'type', title: t(`${p}.activity`), dataIndex: 'activityType' },
          { key: 'attempt', title: t(`${p}.attempt`), dataIndex: 'attempt' },
          { key: 'failure', title: t(`${p}.lastFailure`), dataIndex: 'lastFailure' },
          { key: 'first', title: t(`${p}.firstFailedAt`), render: (_, r) => formatTime(r.firstFailedAt) },
        ]}
      />
      <details style={{ marginTop: 12 }}>
        <summary>{t(`${p}.recentEvents`)}</summary>
        <Table
          size="small"
          pagination={false}
          rowKey="eventId"
          dataSource={d.recentEvents}
          columns={[
            { key: 'id', title: '#', dataIndex: 'eventId' },
            { key: 'type', title: t(`${p}.event`), dataIndex: 'eventType' },
            { key: 'time', title: t(`${p}.eventTime`), render: (_, e) => formatTime(e.eventTime) },
            { key: 'failure', title: t(`${p}.lastFailure`), render: (_, e) => e.failure ?? '' },
          ]}
        />
      </details>
      {d.links.temporalUi && (
        <Typography.Paragraph style={{ marginTop: 12 }}>
          <a href={d.links.temporalUi} target="_blank" rel="noreferrer">
            {t(`${p}.temporalUi`)}
          </a>
        </Typography.Paragraph>
      )}
    </section>
  );
}

/* ---------- interventions ---------- */

type Intervention = 'extend' | 'urge' | 'reassign' | 'withdraw';
const headers = () => ({ 'Idempotency-Key': idempotencyKey() });

/** Which interventions the case allows now, as workflows/case/interventions.ts decides (the workflow has the last word). */
export function allowedInterventions(v: CaseView): Intervention[] {
  if (!v.live || v.withdrawal || v.erasedAt || v.stage === 'closed') return [];
  const out: Intervention[] = [];
  if (extendableClocks(v).length > 0) out.push('extend');
  out.push('urge', 'reassign');
  if (!v.closure && openWhistles(v).length === 0) out.push('withdraw');
  return out;
}

const extendableClocks = (v: CaseView) => (v.clocks ?? []).filter((c) => (c.status === 'running' || c.status === 'paused') && ['response', 'resolution', 'task'].includes(c.kind));
const openTasks = (v: CaseView) => (v.tasks ?? []).filter((x) => x.status === 'open');
const whistleDepartments = (v: CaseView) => [...new Set(openWhistles(v).flatMap((e) => e.departments ?? []))];

interface FormProps {
  view: CaseView;
  onClose: () => void;
  onDone?: () => void;
}

function ReasonField({ hint }: { hint?: string }) {
  const { t } = useTranslation('cases');
  return (
    <Form.Item name="reason" label={t(`${q}.reason`)} initialValue="" extra={hint ?? t(`${q}.reasonHint`)}>
      <Input.TextArea rows={3} />
    </Form.Item>
  );
}

function ExtendForm({ view, onClose, onDone }: FormProps) {
  const { t } = useTranslation('cases');
  const commitmentName = useCommitmentName();
  const [form] = Form.useForm();
  const clocks = extendableClocks(view);
  const clockId = Form.useWatch('clock', form) as string | undefined;
  const current = clocks.find((c) => c.id === clockId) ?? clocks[0];
  // A day after the current deadline, as Beijing wall time.
  const proposed = current ? dayjs(dayjs(current.dueAt).add(1, 'day').tz(beijing).format('YYYY-MM-DDTHH:mm')) : undefined;
  return (
    <ActionModal
      title={t(`${q}.extend`)}
      testId="extend-form"
      form={form}
      onClose={onClose}
      submit={async (v) => {
        await answered(
          fetchClient.POST('/api/cases/{id}/deadline-extension', {
            params: { path: { id: view.id }, header: headers() },
            body: { clock: v.clock as string, newDueAt: beijingIso(v.newDueAt as Dayjs | undefined) ?? '', reason: v.reason as string },
          }),
        );
        onDone?.();
      }}
    >
      <Form.Item name="clock" label={t(`${q}.clock`)} initialValue={clocks[0]?.id}>
        <Select options={clocks.map((c) => ({ value: c.id, label: t(`${q}.clockLabel`, { name: commitmentName(c.id), due: formatTime(c.dueAt) }) }))} />
      </Form.Item>
      <Form.Item name="newDueAt" label={t(`${q}.newDueAt`)} initialValue={proposed}>
        <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
      </Form.Item>
      <ReasonField />
    </ActionModal>
  );
}

function UrgeForm({ view, onClose, onDone }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const target = (Form.useWatch('target', form) as string | undefined) ?? 'owner';
  const tasks = openTasks(view);
  const departments = whistleDepartments(view);
  const allDepartments = $api.useQuery('get', '/api/departments', {}, { staleTime: 60_000 }).data?.items ?? [];
  const departmentName = (id: string) => {
    const d = allDepartments.find((x) => x.id === id);
    return d ? nameOf(d) : id;
  };
  const targets = ['owner', ...(tasks.length ? ['task'] : []), ...(departments.length ? ['department'] : [])];
  return (
    <ActionModal
      title={t(`${q}.urge`)}
      testId="urge-form"
      form={form}
      onClose={onClose}
      submit={async (v) => {
        const reason = v.reason as string;
        const body: Schemas['Urge'] =
          v.target === 'task'
            ? { target: 'task', taskId: v.taskId as string, reason }
            : v.target === 'department'
              ? { target: 'department', departmentId: v.departmentId as string, reason }
              : { target: 'owner', reason };
        await answered(fetchClient.POST('/api/cases/{id}/urge', { params: { path: { id: view.id }, header: headers() }, body }));
        onDone?.();
      }}
    >
      <Form.Item name="target" label={t(`${q}.target`)} initialValue="owner">
        <Radio.Group options={targets.map((x) => ({ value: x, label: t(`${q}.targets.${x}`) }))} />
      </Form.Item>
      {target === 'task' && (
        <Form.Item name="taskId" label={t(`${q}.taskId`)} initialValue={tasks[0]?.id}>
          <Select options={tasks.map((x) => ({ value: x.id, label: `${x.id} · ${x.title}` }))} />
        </Form.Item>
      )}
      {target === 'department' && (
        <Form.Item name="departmentId" label={t(`${q}.departmentId`)} initialValue={departments[0]}>
          <Select options={departments.map((d) => ({ value: d, label: departmentName(d) }))} />
        </Form.Item>
      )}
      <ReasonField hint={target === 'owner' ? undefined : t(`${q}.urgeReasonHint`)} />
    </ActionModal>
  );
}

function ReassignForm({ view, onClose, onDone }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const what = (Form.useWatch('what', form) as string | undefined) ?? 'owner';
  const kind = (Form.useWatch(['to', 'kind'], form) as string | undefined) ?? 'staff';
  const tasks = openTasks(view);
  const departments = $api.useQuery('get', '/api/departments', {}, { staleTime: 60_000 }).data?.items ?? [];
  return (
    <ActionModal
      title={t(`${q}.reassign`)}
      testId="reassign-form"
      form={form}
      onClose={onClose}
      submit={async (v) => {
        const to = v.to as { kind: 'staff' | 'partner' | 'department'; id: string };
        await answered(
          fetchClient.POST('/api/cases/{id}/reassignment', {
            params: { path: { id: view.id }, header: headers() },
            body: { ...(v.what === 'task' ? { taskId: v.taskId as string } : {}), to: { kind: to.kind, id: to.id ?? '' }, reason: v.reason as string },
          }),
        );
        onDone?.();
      }}
    >
      <Form.Item name="what" label={t(`${q}.reassignWhat`)} initialValue="owner">
        <Radio.Group options={(tasks.length ? ['owner', 'task'] : ['owner']).map((x) => ({ value: x, label: t(`${q}.reassignWhats.${x}`) }))} />
      </Form.Item>
      {what === 'task' && (
        <Form.Item name="taskId" label={t(`${q}.taskId`)} initialValue={tasks[0]?.id}>
          <Select options={tasks.map((x) => ({ value: x.id, label: `${x.id} · ${x.title}` }))} />
        </Form.Item>
      )}
      <Form.Item name={['to', 'kind']} label={t(`${q}.toKind`)} initialValue="staff">
        <Radio.Group options={(what === 'task' ? ['staff', 'partner', 'department'] : ['staff']).map((x) => ({ value: x, label: t(`${q}.kinds.${x}`) }))} />
      </Form.Item>
      {kind === 'department' ? (
        <Form.Item name={['to', 'id']} label={t(`${q}.toId`)}>
          <Select options={departments.map((d) => ({ value: d.id, label: nameOf(d) }))} />
        </Form.Item>
      ) : (
        <Form.Item name={['to', 'id']} label={t(`${q}.toId`)} extra={t(`${q}.toIdHint`)} initialValue="">
          <Input />
        </Form.Item>
      )}
      <ReasonField />
    </ActionModal>
  );
}

function WithdrawForm({ view, onClose, onDone }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const kind = (Form.useWatch('kind', form) as string | undefined) ?? 'resident-withdrew';
  return (
    <ActionModal
      title={t(`${q}.withdraw`)}
      testId="withdraw-form"
      form={form}
      onClose={onClose}
      submit={async (v) => {
        await answered(
          fetchClient.POST('/api/cases/{id}/withdrawal', {
            params: { path: { id: view.id }, header: headers() },
            body: {
              kind: v.kind as Schemas['Withdrawal']['kind'],
              reason: v.reason as string,
              ...(v.kind === 'duplicate' ? { duplicateOf: (v.duplicateOf as string | undefined) ?? '' } : {}),
            },
          }),
        );
        onDone?.();
      }}
    >
      <Form.Item name="kind" label={t(`${q}.withdrawKind`)} initialValue="resident-withdrew">
        <Radio.Group options={(['resident-withdrew', 'duplicate', 'opened-in-error'] as const).map((x) => ({ value: x, label: t(`${q}.withdrawKinds.${x}`) }))} />
      </Form.Item>
      {kind === 'duplicate' && (
        <Form.Item name="duplicateOf" label={t(`${q}.duplicateOf`)} initialValue="">
          <Input />
        </Form.Item>
      )}
      <ReasonField />
    </ActionModal>
  );
}

export function CaseInterventions({ caseId, onDone }: { caseId: string; onDone?: () => void }) {
  const { t } = useTranslation('cases');
  const [open, setOpen] = useState<Intervention>();
  // The same query as the case page's: answered from its cache.
  const query = $api.useQuery('get', '/api/cases/{id}', { params: { path: { id: caseId } } }, { refetchInterval: 5_000 });
  const view = query.data;
  if (!view) return null;
  const allowed = allowedInterventions(view);
  const close = () => setOpen(undefined);
  return (
    <section aria-labelledby="case-interventions-title" data-testid="case-interventions" style={{ marginTop: 16 }}>
      <Typography.Title level={3} id="case-interventions-title" style={{ fontSize: 16 }}>
        {t(`${q}.title`)}
      </Typography.Title>
      {allowed.length === 0 ? (
        <Typography.Paragraph>{t(`${q}.none`)}</Typography.Paragraph>
      ) : (
        <Space wrap>
          {allowed.map((a) => (
            <Button key={a} danger={a === 'withdraw'} onClick={() => setOpen(a)}>
              {t(`${q}.${a}`)}
            </Button>
          ))}
        </Space>
      )}
      {open === 'extend' && <ExtendForm view={view} onClose={close} onDone={onDone} />}
      {open === 'urge' && <UrgeForm view={view} onClose={close} onDone={onDone} />}
      {open === 'reassign' && <ReassignForm view={view} onClose={close} onDone={onDone} />}
      {open === 'withdraw' && <WithdrawForm view={view} onClose={close} onDone={onDone} />}
    </section>
  );
}
