import { useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, ConfigProvider, Descriptions, Form, Input, Radio, Select, Space, Typography } from 'antd';
import { $api, idempotencyKey, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage, showProblemOnForm } from '../shared/problems';
import { Countdown } from '../shared/time';
import { useCatalogue, useLocalName, type ServiceItem } from './catalogue';
import './i18n';

/**
 * Intake (受理登记): staff record a resident's demand at the window — the service from the catalogue (grouped by
 * its four categories, searchable by code or either name), the resident, the channel, the demand — and open a
 * case (POST /api/cases). A repeat of an open demand (the 12345 rule) is answered on that case: the page says
 * so and links it; with new facts the staff may still open a new case. The API alone validates: its field
 * errors appear beside the fields.
 */

type OpenCase = Schemas['OpenCase'];
type Repeated = Schemas['RepeatedDemand'];
const channels: OpenCase['channel'][] = ['walk-in', 'door-to-door', 'hotline-12345', 'app'];

interface Values {
  /** '' when none is chosen (kept in the form's store, so the API's error for it lands beside the field). */
  serviceCode: string;
  channel: OpenCase['channel'];
  deadlineClass?: string;
  resident: { name: string; phone: string; address: string };
  demand: string;
}

const initialValues: Values = { serviceCode: '', channel: 'walk-in', deadlineClass: undefined, resident: { name: '', phone: '', address: '' }, demand: '' };

/** The form's values as the API's body: blank optional fields left out, nothing checked here. */
function body(v: Values, newFacts: boolean): OpenCase {
  const resident: OpenCase['resident'] = { name: v.resident.name };
  if (v.resident.phone.trim() !== '') resident.phone = v.resident.phone;
  if (v.resident.address.trim() !== '') resident.address = v.resident.address;
  return {
    serviceCode: v.serviceCode ?? '',
    channel: v.channel,
    demand: v.demand,
    resident,
    ...(v.deadlineClass ? { deadlineClass: v.deadlineClass } : {}),
    ...(newFacts ? { newFacts: true } : {}),
  };
}

function ServiceFacts({ item }: { item: ServiceItem }) {
  const { t } = useTranslation('cases');
  const local = useLocalName();
  return (
    <Descriptions size="small" column={1} bordered style={{ marginBottom: 24 }} aria-label={local(item)}>
      <Descriptions.Item label={t('intake.deadlineClass')}>
        {local(item.deadlineClass)} · {t(`intake.handlingMode.${item.handlingMode}`)}
      </Descriptions.Item>
      {item.requiredDocuments.length > 0 && <Descriptions.Item label={t('intake.requiredDocuments')}>{item.requiredDocuments.join('、')}</Descriptions.Item>}
      {(item.needsHomeVisit || item.issuesCertificate) && (
        <Descriptions.Item label={t('intake.serviceNotes')}>{[item.needsHomeVisit && t('intake.homeVisit'), item.issuesCertificate && t('intake.certificate')].filter(Boolean).join(' · ')}</Descriptions.Item>
      )}
    </Descriptions>
  );
}

function RepeatAnswer({ repeat, onNewFacts, busy }: { repeat: Repeated; onNewFacts: () => void; busy: boolean }) {
  const { t } = useTranslation('cases');
  const stage = t(`list.stages.${repeat.progress.stage}`);
  return (
    <Alert
      role="alert"
      type="warning"
      showIcon
      style={{ marginBottom: 24 }}
      message={t('intake.repeatTitle')}
      description={
        <Space direction="vertical">
          <span>{t('intake.repeatBody', { id: repeat.repeatOf, stage })}</span>
          <span>
            {t('intake.repeatDue')}
            <Countdown due={repeat.progress.nextDueAt} />
            {repeat.progress.overdue && <strong> {t('intake.repeatOverdue')}</strong>}
          </span>
          <Space wrap>
            <Link to={`/cases/${repeat.repeatOf}`}>{t('intake.repeatCase', { id: repeat.repeatOf })}</Link>
            <Button onClick={onNewFacts} loading={busy}>
              {t('intake.newFacts')}
            </Button>
          </Space>
        </Space>
      }
    />
  );
}

export default function IntakePage() {
  const { t } = useTranslation('cases');
  const local = useLocalName();
  const [form] = Form.useForm<Values>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const catalogue = useCatalogue();
  const open = $api.useMutation('post', '/api/cases');
  const [problem, setProblem] = useState<unknown>();
  const [repeat, setRepeat] = useState<Repeated>();
  // One Idempotency-Key per distinct body: a retried click (or a retry after a 503) sends the same opening once.
  const attempt = useRef<{ body: string; key: string }>(undefined);
  const serviceCode = Form.useWatch('serviceCode', form);

  const items = useMemo(() => (catalogue.data?.items ?? []).filter((i) => i.active), [catalogue.data]);
  const options = useMemo(
    () =>
      (catalogue.data?.categories ?? []).map((c) => ({
        label: local(c),
        title: local(c),
        options: items
          .filter((i) => i.category === c.code)
          .map((i) => ({ value: i.code, label: `${local(i)}（${i.code}）`, search: `${i.code} ${i.name} ${i.nameZh}`.toLowerCase() })),
      })),
    [catalogue.data, items, local],
  );
  const deadlineClasses = useMemo(() => [...new Map(items.map((i) => [i.deadlineClass.code, i.deadlineClass])).values()], [items]);
  const selected = items.find((i) => i.code === serviceCode);

  if (catalogue.error) return <ProblemPage problem={catalogue.error} />;

  async function submit(newFacts: boolean) {
    const values = form.getFieldsValue(true) as Values;
    const payload = body(values, newFacts);
    const text = JSON.stringify(payload);
    if (attempt.current?.body !== text) attempt.current = { body: text, key: idempotencyKey() };
    setProblem(undefined);
    try {
      const answer = await open.mutateAsync({ body: payload, params: { header: { 'Idempotency-Key': attempt.current.key } } });
      await queryClient.invalidateQueries({ queryKey: ['get', '/api/cases'] });
      if ('repeated' in answer && answer.repeated) {
        setRepeat(answer);
        return;
      }
      void message.success(t('intake.opened', { id: answer.id }));
      navigate(`/cases/${answer.id}`);
    } catch (e) {
      setRepeat(undefined);
      setProblem(showProblemOnForm(form, e));
    }
  }

  return (
    // antd's placeholder grey is below WCAG AA contrast (axe color-contrast): a darker one here.
    <ConfigProvider theme={{ token: { colorTextPlaceholder: '#6b6b6b' } }}>
      <Typography.Title level={1}>{t('intake.title')}</Typography.Title>
      {repeat && <RepeatAnswer repeat={repeat} busy={open.isPending} onNewFacts={() => void submit(true)} />}
      <ProblemAlert problem={problem} onClose={() => setProblem(undefined)} />
      <Form<Values> form={form} layout="vertical" initialValues={initialValues} onFinish={() => void submit(false)} style={{ maxWidth: 760 }} onValuesChange={() => setRepeat(undefined)}>
        <Card title={<Typography.Title level={2} style={{ margin: 0, fontSize: 16 }}>{t('intake.service')}</Typography.Title>} style={{ marginBottom: 16 }}>
          <Form.Item
            name="serviceCode"
            label={t('intake.service')}
            required
            getValueProps={(v: string | undefined) => ({ value: v === '' ? undefined : v })}
            normalize={(v: string | undefined) => v ?? ''}
          >
            <Select
              showSearch={{ optionFilterProp: 'search' }}
              allowClear
              loading={catalogue.isPending}
              placeholder={t('intake.servicePlaceholder')}
              notFoundContent={t('intake.noService')}
              options={options}
            />
          </Form.Item>
          {selected && <ServiceFacts item={selected} />}
          <Form.Item name="channel" label={t('intake.channel')} required>
            <Radio.Group optionType="button" options={channels.map((c) => ({ value: c, label: t(`list.channels.${c}`) }))} />
          </Form.Item>
          <Form.Item name="deadlineClass" label={t('intake.deadlineOverride')}>
            <Select allowClear placeholder={t('intake.deadlineDefault')} options={deadlineClasses.map((d) => ({ value: d.code, label: local(d) }))} />
          </Form.Item>
        </Card>
        <Card title={<Typography.Title level={2} style={{ margin: 0, fontSize: 16 }}>{t('intake.resident')}</Typography.Title>} style={{ marginBottom: 16 }}>
          <Typography.Paragraph>{t('intake.residentNote')}</Typography.Paragraph>
          <Form.Item name={['resident', 'name']} label={t('intake.name')} required>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name={['resident', 'phone']} label={t('intake.phone')}>
            <Input autoComplete="off" inputMode="tel" />
          </Form.Item>
          <Form.Item name={['resident', 'address']} label={t('intake.address')}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="demand" label={t('intake.demand')} required>
            <Input.TextArea rows={4} placeholder={t('intake.demandPlaceholder')} />
          </Form.Item>
        </Card>
        <Button type="primary" htmlType="submit" loading={open.isPending}>
          {t('intake.submit')}
        </Button>
      </Form>
    </ConfigProvider>
  );
}
