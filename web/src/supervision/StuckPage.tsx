import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Button, Form, Input, Select, Space, Table, Typography } from 'antd';
import { FilterOutlined, NotificationOutlined, RedoOutlined, UserSwitchOutlined } from '@ant-design/icons';
import { $api, isProblem, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage, showProblemOnForm } from '../shared/problems';
import { formatTime } from '../shared/time';
import { BatchDialog, type BatchOperation } from './BatchDialog';
import { categories, muted, ReasonLine, reasons, useNames } from './words';

type Item = Schemas['StuckCase'];
const filterKeys = ['reason', 'station', 'department', 'category', 'olderThan'] as const;
type Filter = Partial<Record<(typeof filterKeys)[number], string>>;

/** The filter in the page's address (so the summary can link to it, and a reload keeps it). */
function useFilter(): [Filter, (f: Filter) => void] {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => Object.fromEntries(filterKeys.flatMap((k) => (params.get(k) ? [[k, params.get(k)!]] : []))) as Filter, [params]);
  const set = (f: Filter) => setParams(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>);
  return [filter, set];
}

/**
 * The stuck list (GET /api/supervision/stuck): every filter the API takes as a form control, each case with its
 * reasons in words, ages live, a link to the case page; rows selected → a batch (urge, reassign, retry).
 * Refreshes every 10 s.
 */
export default function StuckPage() {
  const { t } = useTranslation('supervision');
  const names = useNames();
  const [filter, setFilter] = useFilter();
  const [form] = Form.useForm<{ reason?: string[]; station?: string; department?: string; category?: string; olderThan?: string }>();
  const [selected, setSelected] = useState<string[]>([]);
  const [batch, setBatch] = useState<BatchOperation | undefined>();

  useEffect(() => {
    form.resetFields();
    form.setFieldsValue({ ...filter, reason: filter.reason ? filter.reason.split(',') : [] });
  }, [filter, form]);

  const list = $api.useInfiniteQuery(
    'get',
    '/api/supervision/stuck',
    { params: { query: { ...filter, category: filter.category as (typeof categories)[number] | undefined, limit: 50 } } },
    { pageParamName: 'cursor', initialPageParam: '' /* openapi-react-query sends 0 for undefined; '' is no cursor */, getNextPageParam: (last) => last.nextCursor, refetchInterval: 10_000, retry: false },
  );
  const status = isProblem(list.error) ? list.error.status : undefined;
  const [formProblem, setFormProblem] = useState<unknown>();
  useEffect(() => {
    setFormProblem(list.error && status === 400 ? showProblemOnForm(form, list.error) : undefined);
  }, [list.error, status, form]);
  if (status === 403 || status === 404) return <ProblemPage problem={list.error} />;

  const items: Item[] = list.data?.pages.flatMap((p) => p.items) ?? [];
  const asOf = list.data?.pages[0]?.asOf;
  const selectedHere = selected.filter((id) => items.some((i) => i.caseId === id));

  const apply = (v: { reason?: string[]; station?: string; department?: string; category?: string; olderThan?: string }) => {
    setSelected([]);
    setFilter({ ...v, reason: v.reason?.length ? v.reason.join(',') : undefined, olderThan: v.olderThan?.trim() || undefined });
  };

  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('stuck.title')}
      </Typography.Title>
      <section aria-label={t('stuck.filters')}>
        <Form form={form} name="stuckFilter" layout="inline" onFinish={apply} style={{ rowGap: 12, marginBottom: 16 }}>
          <Form.Item name="reason" label={t('stuck.reason')}>
            <Select
              mode="multiple"
              allowClear
              style={{ minWidth: 220 }}
             
              aria-label={t('stuck.reason')}
              options={reasons.map((r) => ({ value: r, label: t(`reasons.${r}`) }))}
            />
          </Form.Item>
          <Form.Item name="station" label={t('stuck.station')}>
            <Select allowClear style={{ minWidth: 180 }} aria-label={t('stuck.station')} options={names.stations.map((s) => ({ value: s.id, label: s.name }))} />
          </Form.Item>
          <Form.Item name="department" label={t('stuck.department')}>
            <Select allowClear style={{ minWidth: 180 }} aria-label={t('stuck.department')} options={names.departments.map((d) => ({ value: d.id, label: d.name }))} />
          </Form.Item>
          <Form.Item name="category" label={t('stuck.category')}>
            <Select allowClear style={{ minWidth: 140 }} aria-label={t('stuck.category')} options={categories.map((c) => ({ value: c, label: t(`categories.${c}`) }))} />
          </Form.Item>
          <Form.Item name="olderThan" label={t('stuck.olderThan')}>
            <Input style={{ width: 120 }} placeholder={t('stuck.olderThanHint')} />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" icon={<FilterOutlined aria-hidden />}>
                {t('stuck.apply')}
              </Button>
              <Button onClick={() => apply({})}>{t('stuck.clear')}</Button>
            </Space>
          </Form.Item>
        </Form>
      </section>
      <ProblemAlert problem={status === 400 ? formProblem : list.error} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Typography.Text aria-live="polite">{t('stuck.selected', { count: selectedHere.length })}</Typography.Text>
        <Button icon={<NotificationOutlined aria-hidden />} disabled={selectedHere.length === 0} onClick={() => setBatch('urge')}>
          {t('batch.urge')}
        </Button>
        <Button icon={<UserSwitchOutlined aria-hidden />} disabled={selectedHere.length === 0} onClick={() => setBatch('reassign')}>
          {t('batch.reassign')}
        </Button>
        <Button icon={<RedoOutlined aria-hidden />} disabled={selectedHere.length === 0} onClick={() => setBatch('retry')}>
          {t('batch.retry')}
        </Button>
        {asOf && <Typography.Text style={muted}>{t('stuck.asOf', { time: formatTime(asOf) })}</Typography.Text>}
      </Space>
      <Table<Item>
        size="small"
        rowKey="caseId"
        loading={list.isPending}
        dataSource={items}
        pagination={false}
        locale={{ emptyText: t('stuck.empty') }}
        rowSelection={{
          selectedRowKeys: selectedHere,
          onChange: (keys) => setSelected(keys.map(String)),
          getCheckboxProps: (r) => ({ 'aria-label': t('stuck.selectRow', { id: r.caseId }) }) as never,
          columnTitle: (node) => <span aria-label={t('stuck.selected', { count: selectedHere.length })}>{node}</span>,
        }}
        columns={[
          { title: t('stuck.case'), key: 'case', render: (_, r) => <Link to={`/cases/${r.caseId}`}>{r.caseId}</Link> },
          {
            title: t('stuck.service'),
            key: 'service',
            render: (_, r) => (
              <Space direction="vertical" size={0}>
                <span>{r.serviceCode}</span>
                <Typography.Text style={muted}>
                  {names.station(r.stationId)} · {t(`categories.${r.category}`)}
                </Typography.Text>
              </Space>
            ),
          },
          { title: t('stuck.stage'), key: 'stage', render: (_, r) => t(`stages.${r.stage}`, { defaultValue: r.stage }) },
          { title: t('stuck.owner'), dataIndex: 'owner' },
          {
            title: t('stuck.reasons'),
            key: 'reasons',
            render: (_, r) => (
              <Space direction="vertical" size={2}>
                {r.reasons.map((x, i) => (
                  <ReasonLine key={`${x.reason}-${i}`} reason={x} />
                ))}
              </Space>
            ),
          },
          { title: t('stuck.stuckSince'), key: 'since', render: (_, r) => formatTime(r.stuckSince) },
        ]}
      />
      {list.hasNextPage && (
        <Button style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {t('stuck.more')}
        </Button>
      )}
      {batch && (
        <BatchDialog
          operation={batch}
          caseIds={selectedHere}
          onClose={(done) => {
            setBatch(undefined);
            if (done) setSelected([]);
          }}
        />
      )}
    </>
  );
}
