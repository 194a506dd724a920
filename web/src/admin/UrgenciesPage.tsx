import { useState } from 'react';
import { App, Button, Form, Input, InputNumber, Modal, Select, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { clearStaleErrors, showApiErrors } from './forms';
import { ProblemAlert } from '../shared/problems';
import './i18n';

type Urgency = Schemas['WhistleUrgency'];
type Unit = Urgency['checkInUnit'];
const units: Unit[] = ['minutes', 'hours', 'days', 'working-days'];

const blank: Urgency = { code: '', name: '', nameZh: '', checkInGoal: 30, checkInUnit: 'minutes', reportGoal: 1, reportUnit: 'working-days', ratingWindowHours: 360 };

/** Creating or changing one urgency: every field is the API's to check (its errors beside the fields). */
function UrgencyForm(props: { urgency: Urgency | 'new' | undefined; onClose: () => void }) {
  // Mounted afresh at each opening: a new form with the urgency's values.
  return props.urgency === undefined ? null : <UrgencyFormDialog urgency={props.urgency} onClose={props.onClose} />;
}

function UrgencyFormDialog({ urgency, onClose }: { urgency: Urgency | 'new'; onClose: () => void }) {
  const { t, i18n } = useTranslation('admin');
  const { message } = App.useApp();
  const [form] = Form.useForm<Urgency>();
  const [problem, setProblem] = useState<unknown>();
  const queryClient = useQueryClient();
  const save = $api.useMutation('put', '/api/whistle-urgencies/{code}');
  const creating = urgency === 'new';
  const initial = urgency === 'new' ? blank : urgency;

  const submit = async () => {
    const v = form.getFieldsValue(true) as Urgency;
    const { code } = v;
    // Only the fields the API takes (a listed row may carry more).
    const body = { name: v.name, nameZh: v.nameZh, checkInGoal: v.checkInGoal, checkInUnit: v.checkInUnit, reportGoal: v.reportGoal, reportUnit: v.reportUnit, ratingWindowHours: v.ratingWindowHours };
    setProblem(undefined);
    try {
      await save.mutateAsync({ params: { path: { code } }, body });
      void message.success(t('urgencies.saved', { code }));
      await queryClient.invalidateQueries({ queryKey: ['get', '/api/whistle-urgencies'] });
      onClose();
    } catch (err) {
      setProblem(showApiErrors(form, err));
    }
  };
  const unitOptions = units.map((u) => ({ value: u, label: t(`urgencies.units.${u}`) }));
  return (
    <Modal
      open
      title={creating ? t('urgencies.addTitle') : t('urgencies.editTitle', { name: i18n.resolvedLanguage === 'en' ? initial.name : initial.nameZh })}
      onCancel={onClose}
      onOk={() => void submit()}
      okText={t('common:save')}
      cancelText={t('common:cancel')}
      confirmLoading={save.isPending}
    >
      <ProblemAlert problem={problem} onClose={() => setProblem(undefined)} />
      <Form form={form} name="urgency" onFieldsChange={clearStaleErrors(form)} layout="vertical" initialValues={initial}>
        <Form.Item name="code" label={t('urgencies.code')} extra={t('urgencies.codeHelp')}>
          <Input disabled={!creating} autoComplete="off" />
        </Form.Item>
        <Form.Item name="nameZh" label={t('urgencies.nameZh')}>
          <Input />
        </Form.Item>
        <Form.Item name="name" label={t('urgencies.name')}>
          <Input />
        </Form.Item>
        <Space align="start" wrap>
          <Form.Item name="checkInGoal" label={t('urgencies.checkInGoal')}>
            <InputNumber style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="checkInUnit" label={t('urgencies.checkInUnit')}>
            <Select style={{ width: 160 }} options={unitOptions} />
          </Form.Item>
        </Space>
        <Space align="start" wrap>
          <Form.Item name="reportGoal" label={t('urgencies.reportGoal')}>
            <InputNumber style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="reportUnit" label={t('urgencies.reportUnit')}>
            <Select style={{ width: 160 }} options={unitOptions} />
          </Form.Item>
        </Space>
        <Form.Item name="ratingWindowHours" label={t('urgencies.ratingWindowHours')}>
          <InputNumber style={{ width: 160 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Whistle urgencies (admins): how soon a called department checks in and reports, at each urgency. */
export default function UrgenciesPage() {
  const { t, i18n } = useTranslation('admin');
  const zh = i18n.resolvedLanguage !== 'en';
  const [editing, setEditing] = useState<Urgency | 'new' | undefined>();
  const list = $api.useQuery('get', '/api/whistle-urgencies', {}, { refetchInterval: 5000 });
  const goal = (n: number, unit: Unit) => `${n} ${t(`urgencies.units.${unit}`)}`;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('urgencies.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('urgencies.intro')}</Typography.Paragraph>
      <ProblemAlert problem={list.error} />
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} style={{ marginBottom: 16 }}>
        {t('urgencies.add')}
      </Button>
      <Table<Urgency>
        rowKey="code"
        loading={list.isPending}
        dataSource={list.data?.items}
        pagination={false}
        locale={{ emptyText: t('urgencies.empty') }}
        columns={[
          { title: t('urgencies.nameZh'), key: 'name', render: (_, u) => (zh ? u.nameZh : u.name) },
          { title: t('urgencies.code'), key: 'code', render: (_, u) => <Typography.Text code>{u.code}</Typography.Text> },
          { title: t('urgencies.checkIn'), key: 'checkIn', render: (_, u) => goal(u.checkInGoal, u.checkInUnit) },
          { title: t('urgencies.report'), key: 'report', render: (_, u) => goal(u.reportGoal, u.reportUnit) },
          { title: t('urgencies.ratingWindowHours'), key: 'rating', dataIndex: 'ratingWindowHours' },
          {
            title: t('common:actions'),
            key: 'actions',
            render: (_, u) => (
              <Button size="small" onClick={() => setEditing(u)} aria-label={`${t('urgencies.edit')} ${zh ? u.nameZh : u.name}`}>
                {t('urgencies.edit')}
              </Button>
            ),
          },
        ]}
      />
      <UrgencyForm urgency={editing} onClose={() => setEditing(undefined)} />
    </>
  );
}
