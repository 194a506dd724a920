import { useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Form, Input, Radio, Select, Typography, type FormInstance } from 'antd';
import { $api, idempotencyKey, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, showProblemOnForm } from '../shared/problems';
import { useDepartmentNames } from './names';
import './i18n';

/**
 * The actions on a whistle, each shown only when the whistle's state allows it (the workflow still judges):
 * the called department's check-in, dispute, report and feedback; the supervisor's decision on a dispute and
 * closure; the station's rating of each department. Every form sends what the user typed, unchecked here, and shows the API's errors beside the fields.
 */

type Whistle = Schemas['WhistleView'];
type Call = Whistle['calls'][number];

/** After an action: the whistle view the API answered, and every whistle list refreshed. */
function useAfterAction(id: string) {
  const queryClient = useQueryClient();
  return (view: Whistle) => {
    queryClient.setQueryData(['get', '/api/whistles/{id}', { params: { path: { id } } }], view);
    void queryClient.invalidateQueries({ queryKey: ['get', '/api/whistles/{id}'] });
    void queryClient.invalidateQueries({ queryKey: ['get', '/api/whistles'] });
  };
}

/** Runs one action from a form: its field errors beside the fields, the rest above the form. */
function useFormAction(form: FormInstance | undefined, id: string, done: string) {
  const { message } = App.useApp();
  const after = useAfterAction(id);
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async (send: (params: Params) => Promise<Whistle>) => {
    setProblem(undefined);
    setBusy(true);
    try {
      after(await send({ path: { id }, header: { 'Idempotency-Key': idempotencyKey() } }));
      form?.resetFields();
      void message.success(done);
    } catch (e) {
      setProblem(form ? showProblemOnForm(form, e) : e);
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, problem, clear: () => setProblem(undefined) };
}

/** A field's API error goes once the user edits the field. */
const clearErrorsOnEdit = (form: FormInstance) => (changed: Record<string, unknown>) =>
  form.setFields(Object.keys(changed).map((name) => ({ name, errors: [] })));

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid={testId} title={<Typography.Title level={3} style={{ fontSize: 16, margin: 0 }}>{title}</Typography.Title>}>
      {children}
    </Card>
  );
}

/* ---------- the called department ---------- */

export function DepartmentActions({ whistle, call }: { whistle: Whistle; call: Call }) {
  const { t } = useTranslation('whistles');
  const names = useDepartmentNames();
  const open = whistle.status === 'open';
  const insisted = call.disputes.some((d) => d.decision === 'insist');
  const canCheckIn = open && call.status === 'awaiting-check-in' && !call.checkedInAt;
  const canDispute = open && (call.status === 'awaiting-check-in' || call.status === 'checked-in') && !insisted;
  const waitingFor =
    call.role === 'lead' ? whistle.calls.filter((c) => c.role === 'co-handler' && c.status !== 'reported' && c.status !== 'released').map((c) => names.name(c.departmentId)) : [];
  const canReport = open && call.status === 'checked-in' && waitingFor.length === 0;
  const canFeedback = whistle.status === 'completed' && !call.feedback;
  const nothing = !canCheckIn && !canDispute && !canReport && !canFeedback;
  return (
    <>
      {open && call.status === 'disputed' && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('page.disputePending')} />}
      {open && insisted && call.status !== 'reported' && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('page.insisted')} />}
      {open && call.status === 'checked-in' && waitingFor.length > 0 && (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('page.waitingCoHandlers', { departments: waitingFor.join('、') })} />
      )}
      {call.feedback && <Typography.Paragraph>{t('actions.yourFeedback', { score: call.feedback.score })}</Typography.Paragraph>}
      {canCheckIn && <CheckIn id={whistle.id} />}
      {canReport && <Report id={whistle.id} />}
      {canDispute && <Dispute id={whistle.id} />}
      {canFeedback && <Feedback id={whistle.id} />}
      {nothing && !call.feedback && call.status !== 'disputed' && <Typography.Paragraph type="secondary">{t('page.nothingToDo')}</Typography.Paragraph>}
    </>
  );
}

function CheckIn({ id }: { id: string }) {
  const { t } = useTranslation('whistles');
  const mutation = $api.useMutation('post', '/api/whistles/{id}/check-in');
  const action = useFormAction(undefined, id, t('actions.checkedIn'));
  return (
    <Section title={t('actions.checkIn')} testId="check-in">
      <Typography.Paragraph>{t('actions.checkInHint')}</Typography.Paragraph>
      <ProblemAlert problem={action.problem} onClose={action.clear} />
      <Button type="primary" loading={action.busy} onClick={() => void action.run((params) => mutation.mutateAsync({ params, body: {} }))}>
        {t('actions.checkIn')}
      </Button>
    </Section>
  );
}

type Params = { path: { id: string }; header: { 'Idempotency-Key': string } };

/** A form of one reason (a dispute, a closure): the reason sent as typed, its error beside the field. */
function ReasonForm(props: { id: string; testId: string; title: string; hint: string; label: string; done: string; send: (params: Params, reason: string) => Promise<Whistle> }) {
  const [form] = Form.useForm<{ reason: string }>();
  const action = useFormAction(form, props.id, props.done);
  return (
    <Section title={props.title} testId={props.testId}>
      <Typography.Paragraph type="secondary">{props.hint}</Typography.Paragraph>
      <ProblemAlert problem={action.problem} onClose={action.clear} />
      <Form form={form} layout="vertical" onValuesChange={clearErrorsOnEdit(form)} initialValues={{ reason: '' }} onFinish={(v) => void action.run((params) => props.send(params, v.reason ?? ''))}>
        <Form.Item name="reason" label={props.label}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Button htmlType="submit" danger loading={action.busy}>
          {props.title}
        </Button>
      </Form>
    </Section>
  );
}

function Dispute({ id }: { id: string }) {
  const { t } = useTranslation('whistles');
  const mutation = $api.useMutation('post', '/api/whistles/{id}/dispute');
  return (
    <ReasonForm
      id={id}
      testId="dispute"
      title={t('actions.dispute')}
      hint={t('actions.disputeHint')}
      label={t('actions.disputeReason')}
      done={t('actions.disputed')}
      send={(params, reason) => mutation.mutateAsync({ params, body: { reason } })}
    />
  );
}

const outcomes = ['done', 'partly-done', 'cannot'] as const;

function Report({ id }: { id: string }) {
  const { t } = useTranslation('whistles');
  const [form] = Form.useForm<{ outcome?: (typeof outcomes)[number]; note: string }>();
  const mutation = $api.useMutation('post', '/api/whistles/{id}/report');
  const action = useFormAction(form, id, t('actions.reported'));
  return (
    <Section title={t('actions.report')} testId="report">
      <ProblemAlert problem={action.problem} onClose={action.clear} />
      <Form
        form={form}
        layout="vertical"
        onValuesChange={clearErrorsOnEdit(form)}
        initialValues={{ outcome: undefined, note: '' }}
        onFinish={(v) => void action.run((params) => mutation.mutateAsync({ params, body: { outcome: v.outcome!, note: v.note ?? '' } }))}
      >
        <Form.Item name="outcome" label={t('actions.reportOutcome')}>
          <Radio.Group aria-label={t('actions.reportOutcome')} options={outcomes.map((o) => ({ value: o, label: t(`outcome.${o}`) }))} />
        </Form.Item>
        <Form.Item name="note" label={t('actions.reportNote')}>
          <Input.TextArea rows={4} />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={action.busy}>
          {t('actions.report')}
        </Button>
      </Form>
    </Section>
  );
}

type Scored = { score: number; comment?: string };

/** A score (1–5) with an optional comment: the department's feedback on a whistle, the station's rating of a department. */
function ScoreForm(props: { id: string; testId: string; title: string; done: string; send: (params: Params, body: Scored) => Promise<Whistle> }) {
  const { t } = useTranslation('whistles');
  const [form] = Form.useForm<{ score?: number; comment: string }>();
  const action = useFormAction(form, props.id, props.done);
  return (
    <Section title={props.title} testId={props.testId}>
      <ProblemAlert problem={action.problem} onClose={action.clear} />
      <Form
        form={form}
        layout="vertical"
        onValuesChange={clearErrorsOnEdit(form)}
        initialValues={{ score: undefined, comment: '' }}
        onFinish={(v) => void action.run((params) => props.send(params, { score: v.score!, ...(v.comment?.trim() ? { comment: v.comment } : {}) }))}
      >
        <Form.Item name="score" label={t('actions.feedbackScore')}>
          <Radio.Group aria-label={t('actions.feedbackScore')} optionType="button" options={[1, 2, 3, 4, 5].map((n) => ({ value: n, label: String(n) }))} />
        </Form.Item>
        <Form.Item name="comment" label={t('actions.feedbackComment')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={action.busy}>
          {props.title}
        </Button>
      </Form>
    </Section>
  );
}

function Feedback({ id }: { id: string }) {
  const { t } = useTranslation('whistles');
  const mutation = $api.useMutation('post', '/api/whistles/{id}/feedback');
  return <ScoreForm id={id} testId="feedback" title={t('actions.feedback')} done={t('actions.feedbackGiven')} send={(params, body) => mutation.mutateAsync({ params, body })} />;
}

/* ---------- the station (or its supervisor) rating the departments ---------- */

/** A department released or replaced on its dispute has nothing to rate (the workflow refuses it). */
const upheld = (c: Call) => c.disputes.some((d) => d.decision === 'release' || d.decision === 'replace');

/**
 * The station's rating of each called department's response (双向考核): once the whistle is completed and
 * until its rating window closes, one rating per department; ratings already given are shown.
 */
export function StationRatings({ whistle }: { whistle: Whistle }) {
  const { t } = useTranslation('whistles');
  const names = useDepartmentNames();
  const rated = whistle.calls.filter((c) => c.rating);
  const open = whistle.status === 'completed' ? whistle.calls.filter((c) => !c.rating && !upheld(c)) : [];
  return (
    <>
      {rated.map((c) => (
        <Typography.Paragraph key={c.departmentId} data-testid={`rated-${c.departmentId}`}>
          {t('actions.stationRating', { department: names.name(c.departmentId), score: c.rating!.score })}
          {c.rating!.comment && <Typography.Text type="secondary">{` · ${c.rating!.comment}`}</Typography.Text>}
        </Typography.Paragraph>
      ))}
      {open.map((c) => (
        <Rating key={c.departmentId} id={whistle.id} departmentId={c.departmentId} department={names.name(c.departmentId)} />
      ))}
      {open.length === 0 && rated.length === 0 && <Typography.Paragraph type="secondary">{t('actions.nothingToRate')}</Typography.Paragraph>}
    </>
  );
}

function Rating({ id, departmentId, department }: { id: string; departmentId: string; department: string }) {
  const { t } = useTranslation('whistles');
  const mutation = $api.useMutation('post', '/api/whistles/{id}/ratings');
  return (
    <ScoreForm
      id={id}
      testId={`rating-${departmentId}`}
      title={t('actions.rateFor', { department })}
      done={t('actions.ratedOk')}
      send={(params, body) => mutation.mutateAsync({ params, body: { departmentId, ...body } })}
    />
  );
}

/* ---------- the supervisor ---------- */

export function SupervisorActions({ whistle }: { whistle: Whistle }) {
  if (whistle.status !== 'open') return null;
  const disputed = whistle.calls.filter((c) => c.status === 'disputed' && c.disputes.at(-1) && !c.disputes.at(-1)!.decision);
  return (
    <>
      {disputed.map((c) => (
        <Decision key={c.departmentId} whistle={whistle} call={c} />
      ))}
      <Closure id={whistle.id} />
    </>
  );
}

type DecisionKind = 'release' | 'replace' | 'insist';

function Decision({ whistle, call }: { whistle: Whistle; call: Call }) {
  const { t } = useTranslation('whistles');
  const names = useDepartmentNames();
  const [form] = Form.useForm<{ decision?: DecisionKind; replacement?: string; newLead?: string; note: string }>();
  const decision = Form.useWatch('decision', form);
  const mutation = $api.useMutation('post', '/api/whistles/{id}/departments/{departmentId}/decision');
  const action = useFormAction(form, whistle.id, t('actions.decidedOk'));
  const called = new Set(whistle.calls.map((c) => c.departmentId));
  const others = whistle.calls.filter((c) => c.status !== 'released' && c.departmentId !== call.departmentId);
  const department = names.name(call.departmentId);
  return (
    <Section title={t('actions.decideFor', { department })} testId={`decision-${call.departmentId}`}>
      <Typography.Paragraph>
        {t('page.pendingDispute')}：{call.disputes.at(-1)?.reason}
      </Typography.Paragraph>
      <ProblemAlert problem={action.problem} onClose={action.clear} />
      <Form
        form={form}
        layout="vertical"
        onValuesChange={clearErrorsOnEdit(form)}
        initialValues={{ decision: undefined, note: '' }}
        onFinish={(v) =>
          void action.run((params) =>
            mutation.mutateAsync({
              params: { ...params, path: { ...params.path, departmentId: call.departmentId } },
              body: {
                decision: v.decision,
                // An empty note is left out (insisting may go without one; the others are told it is required).
                ...(v.note ? { note: v.note } : {}),
                ...(v.decision === 'replace' && v.replacement ? { replacement: v.replacement } : {}),
                ...(v.decision === 'release' && call.role === 'lead' && v.newLead ? { newLead: v.newLead } : {}),
              } as Schemas['WhistleDecision'],
            }),
          )
        }
      >
        <Form.Item name="decision" label={t('actions.decisionLabel')}>
          <Radio.Group aria-label={t('actions.decisionLabel')} options={(['insist', 'release', 'replace'] as const).map((d) => ({ value: d, label: t(`decision.${d}`) }))} />
        </Form.Item>
        {decision === 'replace' && (
          <Form.Item name="replacement" label={t('actions.replacement')}>
            <Select options={names.all.filter((d) => !called.has(d.id)).map((d) => ({ value: d.id, label: d.label }))} />
          </Form.Item>
        )}
        {decision === 'release' && call.role === 'lead' && (
          <Form.Item name="newLead" label={t('actions.newLead')}>
            <Select options={others.map((c) => ({ value: c.departmentId, label: names.name(c.departmentId) }))} />
          </Form.Item>
        )}
        <Form.Item name="note" label={t('actions.decisionNote')}>
          <Input.TextArea rows={2} />
        </Form.Item>
        <Button htmlType="submit" type="primary" loading={action.busy}>
          {t('actions.decide')}
        </Button>
      </Form>
    </Section>
  );
}

function Closure({ id }: { id: string }) {
  const { t } = useTranslation('whistles');
  const mutation = $api.useMutation('post', '/api/whistles/{id}/closure');
  return (
    <ReasonForm
      id={id}
      testId="closure"
      title={t('actions.close')}
      hint={t('actions.closeHint')}
      label={t('actions.closeReason')}
      done={t('actions.closed')}
      send={(params, reason) => mutation.mutateAsync({ params, body: { reason } })}
    />
  );
}
