import { useEffect, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { Button, Descriptions, Form, Input, Modal, Progress, Radio, Select, Table, Tag, Typography } from 'antd';
import { CheckCircleOutlined, CloseCircleOutlined, LoadingOutlined, StopOutlined } from '@ant-design/icons';
import { $api, idempotencyKey, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, showProblemOnForm } from '../shared/problems';
import { tones, useNames, type Tone } from './words';

export type BatchOperation = Schemas['BatchRequest']['operation'];
type BatchItem = Schemas['BatchItem'];
interface Values {
  reason?: string;
  target?: 'owner' | 'department';
  departmentId?: string;
  to?: { id?: string };
}

const itemIcons: Record<BatchItem['status'], ReactNode> = {
  pending: <LoadingOutlined aria-hidden />,
  applied: <CheckCircleOutlined aria-hidden />,
  refused: <StopOutlined aria-hidden />,
  failed: <CloseCircleOutlined aria-hidden />,
};
const itemTones: Record<BatchItem['status'], Tone> = { pending: 'processing', applied: 'success', refused: 'warning', failed: 'error' };

/** A batch's progress and every case's result (GET /api/supervision/batches/{id}, polled until it ends). */
function BatchProgress({ id }: { id: string }) {
  const { t } = useTranslation('supervision');
  const queryClient = useQueryClient();
  const batch = $api.useQuery(
    'get',
    '/api/supervision/batches/{id}',
    { params: { path: { id } } },
    { refetchInterval: (q) => (q.state.data?.status === 'running' || !q.state.data ? 1_000 : false) },
  );
  const b = batch.data;
  const ended = b !== undefined && b.status !== 'running';
  useEffect(() => {
    if (ended) void queryClient.invalidateQueries({ queryKey: ['get', '/api/supervision/stuck'] });
  }, [ended, queryClient]);
  if (!b) return <ProblemAlert problem={batch.error} />;
  const done = b.done ?? 0;
  return (
    <section aria-label={t('batch.progress')} data-testid="batch-progress">
      <Descriptions size="small" column={1} title={t('batch.statusTitle', { id: b.id.slice(0, 8) })}>
        <Descriptions.Item label={t('batch.progress')}>
          <Tag icon={b.status === 'running' ? <LoadingOutlined aria-hidden /> : b.status === 'completed' ? <CheckCircleOutlined aria-hidden /> : <CloseCircleOutlined aria-hidden />}>
            {t(`batch.status.${b.status}`)}
          </Tag>
          <Typography.Text>{t('batch.counts', { total: b.total, applied: b.applied ?? 0, refused: b.refused ?? 0, failed: b.failed ?? 0 })}</Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <Progress percent={b.total ? Math.round((done / b.total) * 100) : 0} status={b.status === 'running' ? 'active' : b.failed ? 'exception' : 'success'} aria-label={t('batch.progress')} />
      <Table<BatchItem>
        size="small"
        rowKey="caseId"
        pagination={false}
        dataSource={b.items ?? []}
        columns={[
          { title: t('stuck.case'), key: 'case', render: (_, i) => <Link to={`/cases/${i.caseId}`}>{i.caseId}</Link> },
          {
            title: t('batch.result'),
            key: 'status',
            render: (_, i) => (
              <Tag style={tones[itemTones[i.status]]} icon={itemIcons[i.status]}>
                {t(`batch.item.${i.status}`)}
              </Tag>
            ),
          },
          { title: t('batch.detail'), key: 'detail', render: (_, i) => i.detail ?? '' },
        ]}
      />
    </section>
  );
}

/**
 * The batch form for the selected cases: urge (the owner or a department), reassign (to a staff member) or
 * retry, with the reason every case's timeline records; the API's field errors beside their fields; then the
 * batch's progress until it ends.
 */
export function BatchDialog({ operation, caseIds, onClose }: { operation: BatchOperation; caseIds: string[]; onClose: (done: boolean) => void }) {
  const { t } = useTranslation('supervision');
  const names = useNames();
  const [form] = Form.useForm<Values>();
  const [problem, setProblem] = useState<unknown>();
  const [batchId, setBatchId] = useState<string>();
  const [key] = useState(idempotencyKey);
  const start = $api.useMutation('post', '/api/supervision/batches');
  const target = Form.useWatch('target', form) ?? 'owner';

  const submit = async (v: Values) => {
    setProblem(undefined);
    const body: Schemas['BatchRequest'] = { operation, reason: v.reason ?? '', caseIds };
    if (operation === 'urge') {
      body.target = v.target ?? 'owner';
      if (body.target === 'department') body.departmentId = v.departmentId;
    }
    if (operation === 'reassign') body.to = { kind: 'staff', id: v.to?.id ?? '' };
    try {
      const receipt = await start.mutateAsync({ body, params: { header: { 'Idempotency-Key': key } } });
      setBatchId(receipt.id);
    } catch (e) {
      setProblem(showProblemOnForm(form, e));
    }
  };

  return (
    <Modal
      open
      title={t(`batch.title.${operation}`, { count: caseIds.length })}
      onCancel={() => onClose(batchId !== undefined)}
      footer={
        batchId ? (
          <Button onClick={() => onClose(true)}>{t('batch.close')}</Button>
        ) : (
          <>
            <Button onClick={() => onClose(false)}>{t('common:cancel')}</Button>
            <Button type="primary" loading={start.isPending} onClick={() => form.submit()}>
              {t('batch.submit')}
            </Button>
          </>
        )
      }
      width={720}
    >
      {batchId ? (
        <BatchProgress id={batchId} />
      ) : (
        <>
          <ProblemAlert problem={problem} />
          <Form form={form} name="batch" layout="vertical" onFinish={submit} initialValues={{ target: 'owner', reason: '', to: { id: '' } }}>
            {operation === 'urge' && (
              <Form.Item name="target" label={t('batch.target')}>
                <Radio.Group
                  options={[
                    { value: 'owner', label: t('batch.targets.owner') },
                    { value: 'department', label: t('batch.targets.department') },
                  ]}
                />
              </Form.Item>
            )}
            {operation === 'urge' && target === 'department' && (
              <Form.Item name="departmentId" label={t('batch.department')}>
                <Select aria-label={t('batch.department')} options={names.departments.map((d) => ({ value: d.id, label: d.name }))} />
              </Form.Item>
            )}
            {operation === 'reassign' && (
              <Form.Item name={['to', 'id']} label={t('batch.to')}>
                <Input />
              </Form.Item>
            )}
            <Form.Item name="reason" label={t('batch.reason')} extra={t('batch.reasonHint')}>
              <Input.TextArea rows={3} />
            </Form.Item>
          </Form>
        </>
      )}
    </Modal>
  );
}
