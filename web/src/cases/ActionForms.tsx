import { Button, Checkbox, DatePicker, Form, Input, Radio, Select, Space } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { fetchClient, idempotencyKey, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { useMe } from '../shared/session';
import { ActionModal, answered, beijingIso, beijingWall, optional } from './ActionModal';
import { nameOf, useDepartments, usePartners, useUrgencies } from './masterData';
import { closureResolutions, type CaseView } from './caseActions';

/** The case's actions, one form each (see ActionModal): the bodies are the API's schemas, named as the API names them. */

interface FormProps {
  view: CaseView;
  onClose: () => void;
}

const key = () => ({ 'Idempotency-Key': idempotencyKey() });
const path = (id: string) => ({ path: { id }, header: key() });
type TransferTarget = Schemas['TransferTarget'];

function transferTarget(v: Record<string, unknown>): TransferTarget | undefined {
  if (v.transferKind === 'department') return { kind: 'department', id: v.transferDepartment as string };
  if (v.transferKind === 'agency') return { kind: 'agency', name: (v.agencyName as string | undefined) ?? '' };
  return undefined;
}

/** Where a transfer goes: a department of the subdistrict, or an agency named. */
function TransferFields() {
  const { t } = useTranslation('cases');
  const departments = useDepartments();
  const kind = Form.useWatch('transferKind');
  return (
    <>
      <Form.Item name="transferKind" label={t('casePage.form.transferKind')} initialValue="department">
        <Radio.Group
          options={[
            { value: 'department', label: t('casePage.form.transferDepartment') },
            { value: 'agency', label: t('casePage.form.transferAgency') },
          ]}
        />
      </Form.Item>
      {kind === 'agency' ? (
        <Form.Item name="agencyName" label={t('casePage.form.agencyName')}>
          <Input />
        </Form.Item>
      ) : (
        <Form.Item name="transferDepartment" label={t('casePage.form.department')}>
          <Select options={departments.map((d) => ({ value: d.id, label: nameOf(d) }))} />
        </Form.Item>
      )}
    </>
  );
}

/* ---------- accept / handle now / transfer ---------- */

export function AcceptForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const decision = Form.useWatch('decision', form);
  const known = [...(view.missingDocuments ?? []), ...(view.documents ?? [])];
  return (
    <ActionModal
      title={t('casePage.actions.accept')}
      testId="accept-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/acceptance', {
            params: path(view.id),
            body: {
              decision: v.decision as Schemas['Acceptance']['decision'],
              documents: (v.documents as string[] | undefined) ?? [],
              note: optional(v.note),
              transferTo: v.decision === 'transfer' ? transferTarget(v) : undefined,
            },
          }),
        )
      }
    >
      <Form.Item name="decision" label={t('casePage.form.decision')} initialValue="accept">
        <Radio.Group options={(['accept', 'handle-now', 'transfer'] as const).map((d) => ({ value: d, label: t(`casePage.decisions.${d}`) }))} />
      </Form.Item>
      {decision !== 'transfer' && (
        <Form.Item name="documents" label={t('casePage.form.documents')} extra={t('casePage.form.documentsHint')}>
          <Select mode="tags" options={known.map((d) => ({ value: d, label: d }))} />
        </Form.Item>
      )}
      {decision === 'transfer' && <TransferFields />}
      <Form.Item name="note" label={t('casePage.form.note')}>
        <Input.TextArea rows={2} />
      </Form.Item>
    </ActionModal>
  );
}

/* ---------- diagnose ---------- */

export function DiagnoseForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const visited = Form.useWatch('withHomeVisit', form);
  return (
    <ActionModal
      title={t('casePage.actions.diagnose')}
      testId="diagnose-form"
      form={form}
      onClose={onClose}
      submit={(v) => {
        const hv = v.homeVisit as { date?: Dayjs; staff?: string[]; notes?: string } | undefined;
        return answered(
          fetchClient.POST('/api/cases/{id}/diagnosis', {
            params: path(view.id),
            body: {
              findings: (v.findings as string | undefined) ?? '',
              causes: optional(v.causes),
              resources: optional(v.resources),
              homeVisit: v.withHomeVisit ? { date: hv?.date?.format('YYYY-MM-DD') ?? '', staff: hv?.staff ?? [], notes: hv?.notes ?? '' } : undefined,
            },
          }),
        );
      }}
    >
      <Form.Item name="findings" label={t('casePage.form.findings')}>
        <Input.TextArea rows={3} />
      </Form.Item>
      <Form.Item name="causes" label={t('casePage.form.causes')}>
        <Input.TextArea rows={2} />
      </Form.Item>
      <Form.Item name="resources" label={t('casePage.form.resources')}>
        <Input.TextArea rows={2} />
      </Form.Item>
      <Form.Item name="withHomeVisit" valuePropName="checked">
        <Checkbox>{t('casePage.form.withHomeVisit')}</Checkbox>
      </Form.Item>
      {visited && (
        <>
          <Form.Item name={['homeVisit', 'date']} label={t('casePage.form.visitDate')}>
            <DatePicker />
          </Form.Item>
          <Form.Item name={['homeVisit', 'staff']} label={t('casePage.form.visitStaff')}>
            <Select mode="tags" open={false} />
          </Form.Item>
          <Form.Item name={['homeVisit', 'notes']} label={t('casePage.form.visitNotes')}>
            <Input.TextArea rows={2} />
          </Form.Item>
        </>
      )}
    </ActionModal>
  );
}

/* ---------- plan (and revisions) ---------- */

/** An assignee as the task's select holds it: "partner:anju-repair". */
const assigneeOf = (value: unknown): Schemas['Assignee'] => {
  const [kind, ...id] = String(value ?? '').split(':');
  return { kind: kind as Schemas['Assignee']['kind'], id: id.join(':') };
};

export function PlanForm({ view, onClose, revision }: FormProps & { revision: boolean }) {
  const { t } = useTranslation('cases');
  const me = useMe();
  const [form] = Form.useForm();
  const departments = useDepartments();
  const partners = usePartners();
  const open = (view.tasks ?? []).filter((x) => x.status === 'open');
  const initialTasks = revision
    ? open.map((x) => ({ id: x.id, title: x.title, assignee: `${x.assignee.kind}:${x.assignee.id}`, dueAt: dayjsWall(x.dueAt) }))
    : [{ title: '', dueAt: beijingWall(3 * 24 * 3600_000) }];
  const assignees = [
    { label: t('casePage.assigneeKinds.staff'), options: [{ value: `staff:${me.id}`, label: t('casePage.form.me', { id: me.name ?? me.id }) }] },
    { label: t('casePage.form.partnersGroup'), options: partners.map((p) => ({ value: `partner:${p.id}`, label: nameOf(p) })) },
    { label: t('casePage.form.departmentsGroup'), options: departments.map((d) => ({ value: `department:${d.id}`, label: nameOf(d) })) },
  ];
  return (
    <ActionModal
      title={t(revision ? 'casePage.actions.revisePlan' : 'casePage.actions.plan')}
      testId="plan-form"
      form={form}
      onClose={onClose}
      submit={(v) => {
        const tasks = (v.tasks as { id?: string; title?: string; assignee?: string; dueAt?: Dayjs }[] | undefined) ?? [];
        return answered(
          fetchClient.POST('/api/cases/{id}/plan', {
            params: path(view.id),
            body: {
              goals: (v.goals as string[] | undefined) ?? [],
              reason: optional(v.reason),
              tasks: tasks.map((x) => ({ ...(x.id ? { id: x.id } : {}), title: x.title ?? '', assignee: assigneeOf(x.assignee), dueAt: beijingIso(x.dueAt) ?? '' })),
            },
          }),
        );
      }}
    >
      <Form.Item name="goals" label={t('casePage.form.goals')} extra={t('casePage.form.goalsHint')} initialValue={view.plans?.at(-1)?.goals ?? []}>
        <Select mode="tags" open={false} />
      </Form.Item>
      {revision && (
        <Form.Item name="reason" label={t('casePage.form.revisionReason')}>
          <Input.TextArea rows={2} />
        </Form.Item>
      )}
      <Form.List name="tasks" initialValue={initialTasks}>
        {(fields, { add, remove }) => (
          <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
            <legend style={{ fontSize: 14, marginBottom: 8 }}>{t('casePage.form.tasks')}</legend>
            {fields.map((field, i) => (
              <Space key={field.key} align="start" wrap style={{ display: 'flex', marginBottom: 8 }} data-testid={`task-${i + 1}`}>
                <Form.Item name={[field.name, 'title']} label={t('casePage.form.taskTitle', { n: i + 1 })} style={{ width: 200 }}>
                  <Input />
                </Form.Item>
                <Form.Item name={[field.name, 'assignee']} label={t('casePage.form.taskAssignee', { n: i + 1 })} style={{ width: 200 }}>
                  <Select options={assignees} showSearch={{ optionFilterProp: 'label' }} virtual={false} />
                </Form.Item>
                <Form.Item name={[field.name, 'dueAt']} label={t('casePage.form.taskDue', { n: i + 1 })}>
                  <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" />
                </Form.Item>
                <Button icon={<DeleteOutlined />} aria-label={t('casePage.form.removeTask', { n: i + 1 })} onClick={() => remove(field.name)} style={{ marginTop: 30 }} />
              </Space>
            ))}
            <Button icon={<PlusOutlined />} onClick={() => add({ title: '', dueAt: beijingWall(3 * 24 * 3600_000) })}>
              {t('casePage.form.addTask')}
            </Button>
          </fieldset>
        )}
      </Form.List>
    </ActionModal>
  );
}

/** A deadline from the API as the picker's (Beijing wall time) value. */
function dayjsWall(iso: string): Dayjs {
  return beijingWall(Date.parse(iso) - Date.now());
}

/* ---------- complete a task ---------- */

export function CompleteTaskForm({ view, onClose, taskId }: FormProps & { taskId?: string }) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const open = (view.tasks ?? []).filter((x) => x.status === 'open');
  return (
    <ActionModal
      title={t('casePage.actions.completeTask')}
      testId="complete-task-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/tasks/{taskId}/completion', {
            params: { path: { id: view.id, taskId: String(v.taskId ?? '') }, header: key() },
            body: { outcome: v.outcome as 'done' | 'not-done', note: optional(v.note) },
          }),
        )
      }
    >
      <Form.Item name="taskId" label={t('casePage.form.task')} initialValue={taskId ?? open[0]?.id}>
        <Select options={open.map((x) => ({ value: x.id, label: `${x.id} · ${x.title}` }))} />
      </Form.Item>
      <Form.Item name="outcome" label={t('casePage.form.outcome')} initialValue="done">
        <Radio.Group options={(['done', 'not-done'] as const).map((o) => ({ value: o, label: t(`casePage.tasks.outcomes.${o}`) }))} />
      </Form.Item>
      <Form.Item name="note" label={t('casePage.form.note')}>
        <Input.TextArea rows={2} />
      </Form.Item>
    </ActionModal>
  );
}

/* ---------- pause / resume ---------- */

export function PauseForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  return (
    <ActionModal
      title={t('casePage.actions.pause')}
      testId="pause-form"
      form={form}
      onClose={onClose}
      submit={(v) => answered(fetchClient.POST('/api/cases/{id}/pause', { params: path(view.id), body: { reason: (v.reason as string | undefined) ?? '' } }))}
    >
      <Form.Item name="reason" label={t('casePage.form.pauseReason')}>
        <Input.TextArea rows={2} />
      </Form.Item>
    </ActionModal>
  );
}

export function ResumeForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  return (
    <ActionModal
      title={t('casePage.actions.resume')}
      testId="resume-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/resume', {
            params: path(view.id),
            body: { documents: (v.documents as string[] | undefined) ?? [], note: optional(v.note) },
          }),
        )
      }
    >
      <Form.Item name="documents" label={t('casePage.form.resumeDocuments')} extra={t('casePage.form.documentsHint')}>
        <Select mode="tags" options={(view.missingDocuments ?? []).map((d) => ({ value: d, label: d }))} />
      </Form.Item>
      <Form.Item name="note" label={t('casePage.form.note')}>
        <Input.TextArea rows={2} />
      </Form.Item>
    </ActionModal>
  );
}

/* ---------- close ---------- */

export function CloseForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const allowed = closureResolutions(view);
  const resolution = Form.useWatch('resolution', form);
  return (
    <ActionModal
      title={t('casePage.actions.close')}
      testId="close-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/closure', {
            params: path(view.id),
            body: {
              resolution: v.resolution as Schemas['Closure']['resolution'],
              summary: optional(v.summary),
              reason: optional(v.reason),
              certificateNo: v.resolution === 'resolved' ? optional(v.certificateNo) : undefined,
              transferTo: v.resolution === 'transferred' ? transferTarget(v) : undefined,
            },
          }),
        )
      }
    >
      <Form.Item name="resolution" label={t('casePage.form.resolution')} initialValue={allowed[0]}>
        <Radio.Group options={allowed.map((r) => ({ value: r, label: t(`casePage.resolutions.${r}`) }))} />
      </Form.Item>
      <Form.Item name="summary" label={t('casePage.form.summary')}>
        <Input.TextArea rows={3} />
      </Form.Item>
      {resolution !== 'resolved' && (
        <Form.Item name="reason" label={t('casePage.form.reason')}>
          <Input.TextArea rows={2} />
        </Form.Item>
      )}
      {resolution === 'resolved' && (
        <Form.Item name="certificateNo" label={t('casePage.form.certificateNo')}>
          <Input />
        </Form.Item>
      )}
      {resolution === 'transferred' && <TransferFields />}
    </ActionModal>
  );
}

/* ---------- the resident's evaluation ---------- */

export function EvaluateForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  return (
    <ActionModal
      title={t('casePage.actions.evaluate')}
      testId="evaluate-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/evaluation', {
            params: path(view.id),
            body: { rating: v.rating as Schemas['Evaluation']['rating'], via: v.via as Schemas['Evaluation']['via'], comment: optional(v.comment) },
          }),
        )
      }
    >
      <Form.Item name="rating" label={t('casePage.form.rating')} initialValue="satisfied">
        <Radio.Group options={(['satisfied', 'basically-satisfied', 'unsatisfied'] as const).map((r) => ({ value: r, label: t(`casePage.ratings.${r}`) }))} />
      </Form.Item>
      <Form.Item name="via" label={t('casePage.form.via')} initialValue="in-person">
        <Radio.Group options={(['in-person', 'call-back', 'app'] as const).map((r) => ({ value: r, label: t(`casePage.via.${r}`) }))} />
      </Form.Item>
      <Form.Item name="comment" label={t('casePage.form.comment')}>
        <Input.TextArea rows={2} />
      </Form.Item>
    </ActionModal>
  );
}

/* ---------- blow a whistle ---------- */

export function WhistleForm({ view, onClose }: FormProps) {
  const { t } = useTranslation('cases');
  const [form] = Form.useForm();
  const departments = useDepartments();
  const urgencies = useUrgencies();
  const called = (Form.useWatch('departments', form) as string[] | undefined) ?? [];
  const proposed = (view.escalations ?? []).find((e) => e.status === 'proposed');
  return (
    <ActionModal
      title={t('casePage.actions.whistle')}
      testId="whistle-form"
      form={form}
      onClose={onClose}
      submit={(v) =>
        answered(
          fetchClient.POST('/api/cases/{id}/whistles', {
            params: path(view.id),
            body: {
              reason: v.reason as Schemas['BlowWhistle']['reason'],
              urgency: (v.urgency as string | undefined) ?? '',
              summary: (v.summary as string | undefined) ?? '',
              location: optional(v.location),
              departments: (v.departments as string[] | undefined) ?? [],
              lead: (v.lead as string | undefined) ?? '',
              ...(proposed ? { escalationId: proposed.id } : {}),
            },
          }),
        )
      }
    >
      <Form.Item name="reason" label={t('casePage.form.whistleReason')} initialValue="prominent-problem">
        <Select options={(['prominent-problem', 'joint-enforcement', 'emergency'] as const).map((r) => ({ value: r, label: t(`casePage.whistleReasons.${r}`) }))} />
      </Form.Item>
      <Form.Item name="urgency" label={t('casePage.form.urgency')}>
        <Select options={urgencies.map((u) => ({ value: u.code, label: nameOf(u) }))} />
      </Form.Item>
      <Form.Item name="departments" label={t('casePage.form.departments')}>
        <Select mode="multiple" options={departments.map((d) => ({ value: d.id, label: nameOf(d) }))} showSearch={{ optionFilterProp: 'label' }} virtual={false} />
      </Form.Item>
      <Form.Item name="lead" label={t('casePage.form.lead')}>
        <Select options={departments.filter((d) => called.includes(d.id)).map((d) => ({ value: d.id, label: nameOf(d) }))} />
      </Form.Item>
      <Form.Item name="summary" label={t('casePage.form.whistleSummary')}>
        <Input.TextArea rows={3} />
      </Form.Item>
      <Form.Item name="location" label={t('casePage.form.location')}>
        <Input />
      </Form.Item>
    </ActionModal>
  );
}
