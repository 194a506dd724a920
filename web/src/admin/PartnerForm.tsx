import { useState } from 'react';
import { Button, Form, Input, Modal, Select, Space } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { clearStaleErrors, showApiErrors } from './forms';
import { ProblemAlert } from '../shared/problems';

type Partner = Schemas['Partner'];
type Channel = Schemas['ContactChannel'];
type ChannelType = Channel['type'];

export const partnerKinds: Partner['kind'][] = ['service-agency', 'handy-help-outlet', 'institution', 'volunteer-organisation', 'department'];
const channelTypes: ChannelType[] = ['webhook', 'email', 'sms'];
const valueKey = { webhook: 'url', email: 'address', sms: 'phone' } as const;

interface ChannelRow {
  type: ChannelType;
  url?: string;
  address?: string;
  phone?: string;
}
interface Values {
  id: string;
  kind: Partner['kind'];
  name: string;
  nameZh: string;
  departmentId?: string;
  services: string[];
  locale: Partner['locale'];
  channels: ChannelRow[];
}

/** A channel as the API takes it: only the field of its type (the others the user may have typed before switching). */
function channelOf(row: ChannelRow): Channel {
  if (row.type === 'webhook') return { type: 'webhook', url: row.url ?? '' };
  if (row.type === 'email') return { type: 'email', address: row.address ?? '' };
  return { type: 'sms', phone: row.phone ?? '' };
}

/** The form's values for a partner (every field present, so the API's pointer to any of them finds it). */
function valuesOf(partner: Partner | undefined): Values {
  return {
    id: partner?.id ?? '',
    kind: partner?.kind ?? 'service-agency',
    name: partner?.name ?? '',
    nameZh: partner?.nameZh ?? '',
    departmentId: partner?.departmentId ?? undefined,
    services: partner?.services ?? [],
    locale: partner?.locale ?? 'zh-CN',
    channels: partner?.channels.map((c) => ({ url: '', address: '', phone: '', ...c })) ?? [{ type: 'email', url: '', address: '', phone: '' }],
  };
}

/**
 * Registering a partner, or changing one (its names, services, channels, notice language): the API checks every
 * field — a webhook URL the outbound policy refuses, an invalid email or mobile number — and its errors appear
 * beside the fields. Registration answers the webhook secret once: `onRegistered` shows it.
 */
export function PartnerForm(props: PartnerFormProps) {
  // Mounted afresh at each opening: a new form, with the partner's values and nothing typed before.
  return props.open ? <PartnerFormDialog {...props} /> : null;
}

interface PartnerFormProps {
  partner?: Partner;
  open: boolean;
  onClose: () => void;
  onRegistered: (id: string, secret: string) => void;
}

function PartnerFormDialog({ partner, open, onClose, onRegistered }: PartnerFormProps) {
  const { t, i18n } = useTranslation('admin');
  const zh = i18n.resolvedLanguage !== 'en';
  const [form] = Form.useForm<Values>();
  const [problem, setProblem] = useState<unknown>();
  const queryClient = useQueryClient();
  const services = $api.useQuery('get', '/api/services', {}, { enabled: open, staleTime: 60_000 });
  const departments = $api.useQuery('get', '/api/departments', {}, { enabled: open, staleTime: 60_000 });
  const register = $api.useMutation('post', '/api/partners');
  const change = $api.useMutation('patch', '/api/partners/{id}');
  const kind = Form.useWatch('kind', form);
  const editing = partner !== undefined;

  const submit = async () => {
    const v = form.getFieldsValue(true) as Values;
    const common = { name: v.name, nameZh: v.nameZh, services: v.services ?? [], locale: v.locale, channels: (v.channels ?? []).map(channelOf) };
    setProblem(undefined);
    try {
      if (editing) {
        await change.mutateAsync({ params: { path: { id: partner.id } }, body: common });
      } else {
        const created = await register.mutateAsync({ body: { ...common, id: v.id, kind: v.kind, active: true, ...(v.kind === 'department' ? { departmentId: v.departmentId ?? '' } : {}) } });
        onRegistered(created.id, created.webhookSecret);
      }
      await queryClient.invalidateQueries({ queryKey: ['get', '/api/partners'] });
      onClose();
    } catch (err) {
      setProblem(showApiErrors(form, err));
    }
  };

  const label = (o: { name: string; nameZh: string }) => (zh ? o.nameZh : o.name);
  return (
    <Modal
      open={open}
      title={editing ? t('partners.editTitle', { name: label(partner) }) : t('partners.registerTitle')}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={t('common:save')}
      cancelText={t('common:cancel')}
      confirmLoading={register.isPending || change.isPending}
      width={720}
    >
      <ProblemAlert problem={problem} onClose={() => setProblem(undefined)} />
      <Form form={form} name="partner" onFieldsChange={clearStaleErrors(form)} layout="vertical" initialValues={valuesOf(partner)}>
        <Space wrap align="start" size="middle">
          <Form.Item name="id" label={t('partners.id')} extra={t('partners.idHelp')}>
            <Input disabled={editing} autoComplete="off" style={{ width: 300 }} />
          </Form.Item>
          <Form.Item name="kind" label={t('partners.kind')}>
            <Select disabled={editing} style={{ width: 300 }} options={partnerKinds.map((k) => ({ value: k, label: t(`partners.kinds.${k}`) }))} />
          </Form.Item>
          <Form.Item name="nameZh" label={t('partners.nameZh')}>
            <Input style={{ width: 300 }} />
          </Form.Item>
          <Form.Item name="name" label={t('partners.name')}>
            <Input style={{ width: 300 }} />
          </Form.Item>
          {kind === 'department' && (
            <Form.Item name="departmentId" label={t('partners.department')}>
              <Select disabled={editing} style={{ width: 300 }} options={departments.data?.items.map((d) => ({ value: d.id, label: label(d) }))} />
            </Form.Item>
          )}
          <Form.Item name="locale" label={t('partners.locale')}>
            <Select style={{ width: 300 }} options={(['zh-CN', 'en'] as const).map((l) => ({ value: l, label: t(`partners.locales.${l}`) }))} />
          </Form.Item>
        </Space>
        <Form.Item name="services" label={t('partners.services')}>
          <Select
            mode="multiple"
            allowClear
            placeholder={t('partners.servicesPlaceholder')}
            optionFilterProp="label"
            options={services.data?.items.map((s) => ({ value: s.code, label: `${label(s)} (${s.code})` }))}
          />
        </Form.Item>
        <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
          <legend style={{ fontSize: 14, fontWeight: 600, color: 'rgba(0, 0, 0, 0.88)', marginBottom: 4 }}>{t('partners.channels')}</legend>
          <p style={{ color: 'rgba(0,0,0,0.65)', marginTop: 0 }}>{t('partners.channelsHelp')}</p>
          <Form.List name="channels">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field, i) => (
                  <Space key={field.key} align="start" wrap>
                    <Form.Item name={[field.name, 'type']} label={t('partners.channelType', { n: i + 1 })}>
                      <Select style={{ width: 160 }} options={channelTypes.map((c) => ({ value: c, label: t(`partners.channelTypes.${c}`) }))} />
                    </Form.Item>
                    <Form.Item noStyle dependencies={[['channels', field.name, 'type']]}>
                      {() => {
                        const type = (form.getFieldValue(['channels', field.name, 'type']) ?? 'email') as ChannelType;
                        return (
                          <Form.Item name={[field.name, valueKey[type]]} label={t('partners.channelValue', { n: i + 1 })}>
                            <Input style={{ width: 380 }} autoComplete="off" placeholder={type === 'webhook' ? 'https://' : type === 'email' ? 'name@example.org' : '13800138000'} />
                          </Form.Item>
                        );
                      }}
                    </Form.Item>
                    <Form.Item label=" " colon={false}>
                      <Button icon={<DeleteOutlined />} aria-label={t('partners.removeChannel', { n: i + 1 })} onClick={() => remove(field.name)} />
                    </Form.Item>
                  </Space>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ type: channelTypes.find((c) => !fields.some((f) => form.getFieldValue(['channels', f.name, 'type']) === c)) ?? 'email', url: '', address: '', phone: '' })}>
                  {t('partners.addChannel')}
                </Button>
              </>
            )}
          </Form.List>
        </fieldset>
      </Form>
    </Modal>
  );
}
