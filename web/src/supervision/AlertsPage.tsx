import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { App, Badge, Button, Form, Select, Space, Table, Tag, Typography } from 'antd';
import { BellOutlined, CheckOutlined } from '@ant-design/icons';
import { $api, isProblem, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage } from '../shared/problems';
import { formatTime } from '../shared/time';
import { useNames } from './words';

type Alert = Schemas['SupervisorAlert'];
type State = 'unread' | 'acknowledged' | 'all';
const kinds = ['commitment.breached', 'escalation.proposed', 'partner.unreachable', 'whistle.check-in-missed', 'whistle.report-overdue', 'whistle.disputed'] as const;
type Kind = (typeof kinds)[number];

/**
 * The supervisor inbox (GET /api/supervision/alerts): the notices the workflows address to the subdistrict's
 * supervisors, newest first, polled; acknowledge one or the selected ones.
 */
export default function AlertsPage() {
  const { t } = useTranslation('supervision');
  const { message } = App.useApp();
  const names = useNames();
  const queryClient = useQueryClient();
  const [state, setState] = useState<State>('unread');
  const [kind, setKind] = useState<Kind | undefined>();
  const [selected, setSelected] = useState<string[]>([]);
  const list = $api.useInfiniteQuery(
    'get',
    '/api/supervision/alerts',
    { params: { query: { state, kind, limit: 50 } } },
    { pageParamName: 'cursor', initialPageParam: '' /* openapi-react-query sends 0 for undefined; '' is no cursor */, getNextPageParam: (last) => last.nextCursor, refetchInterval: 10_000, retry: false },
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['get', '/api/supervision/alerts'] });
  const one = $api.useMutation('post', '/api/supervision/alerts/{notificationId}/acknowledgement', { onSuccess: refresh });
  const many = $api.useMutation('post', '/api/supervision/alerts/acknowledgement', {
    onSuccess: (r) => {
      setSelected([]);
      void message.success(t('alerts.acknowledgedMany', { count: r.acknowledged }));
      return refresh();
    },
  });
  const status = isProblem(list.error) ? list.error.status : undefined;
  if (status === 403 || status === 404) return <ProblemPage problem={list.error} />;
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = list.data?.pages[0]?.unread ?? 0;
  const selectedHere = selected.filter((id) => items.some((a) => a.id === id && !a.acknowledgedAt));
  const kindWords = (k: string) => ((kinds as readonly string[]).includes(k) ? t(`alerts.kinds.${k}`) : t('alerts.unknownKind'));

  return (
    <>
      <Space align="baseline" size={16}>
        <Typography.Title level={1} style={{ fontSize: 24 }}>
          {t('alerts.title')}
        </Typography.Title>
        <Badge count={unread} showZero overflowCount={999} title={t('alerts.unread', { count: unread })}>
          <Tag icon={<BellOutlined aria-hidden />}>{t('alerts.unread', { count: unread })}</Tag>
        </Badge>
      </Space>
      <Form layout="inline" style={{ marginBottom: 16, rowGap: 12 }}>
        <Form.Item label={t('alerts.state')} htmlFor="alert-state">
          <Select<State>
            id="alert-state"
            value={state}
            style={{ width: 140 }}
            onChange={(v) => {
              setSelected([]);
              setState(v);
            }}
            options={(['unread', 'acknowledged', 'all'] as const).map((s) => ({ value: s, label: t(`alerts.states.${s}`) }))}
          />
        </Form.Item>
        <Form.Item label={t('alerts.kind')} htmlFor="alert-kind">
          <Select<Kind>
            id="alert-kind"
            allowClear
            value={kind}
           
            style={{ width: 200 }}
            onChange={(v) => setKind(v)}
            options={kinds.map((k) => ({ value: k, label: t(`alerts.kinds.${k}`) }))}
          />
        </Form.Item>
        <Form.Item>
          <Button icon={<CheckOutlined aria-hidden />} disabled={selectedHere.length === 0} loading={many.isPending} onClick={() => many.mutate({ body: { ids: selectedHere } })}>
            {t('alerts.acknowledgeSelected', { count: selectedHere.length })}
          </Button>
        </Form.Item>
      </Form>
      <ProblemAlert problem={list.error ?? one.error ?? many.error} />
      <Table<Alert>
        size="small"
        rowKey="id"
        loading={list.isPending}
        dataSource={items}
        pagination={false}
        locale={{ emptyText: t('alerts.empty') }}
        rowSelection={{
          selectedRowKeys: selectedHere,
          onChange: (keys) => setSelected(keys.map(String)),
          getCheckboxProps: (a) => ({ disabled: a.acknowledgedAt !== null, 'aria-label': t('alerts.selectRow', { id: a.caseId }) }) as never,
          columnTitle: (node) => <span aria-label={t('alerts.acknowledgeSelected', { count: selectedHere.length })}>{node}</span>,
        }}
        columns={[
          { title: t('alerts.createdAt'), key: 'at', render: (_, a) => formatTime(a.createdAt) },
          { title: t('alerts.kind'), key: 'kind', render: (_, a) => <Tag icon={<BellOutlined aria-hidden />}>{kindWords(a.kind)}</Tag> },
          { title: t('alerts.case'), key: 'case', render: (_, a) => <Link to={`/cases/${a.caseId}`}>{a.caseId}</Link> },
          { title: t('alerts.station'), key: 'station', render: (_, a) => names.station(a.stationId) },
          { title: t('alerts.stage'), key: 'stage', render: (_, a) => t(`stages.${a.stage}`) },
          {
            title: t('alerts.acknowledged'),
            key: 'ack',
            render: (_, a) =>
              a.acknowledgedAt ? (
                <Space size={4}>
                  <CheckOutlined aria-hidden />
                  {t('alerts.acknowledgedBy', { who: a.acknowledgedBy ?? '', time: formatTime(a.acknowledgedAt) })}
                </Space>
              ) : (
                <Button
                  size="small"
                  loading={one.isPending && one.variables?.params.path.notificationId === a.id}
                  onClick={() => one.mutate({ params: { path: { notificationId: a.id } }, body: {} })}
                >
                  {t('alerts.acknowledge')}
                </Button>
              ),
          },
        ]}
      />
      {list.hasNextPage && (
        <Button style={{ marginTop: 12 }} loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {t('alerts.more')}
        </Button>
      )}
    </>
  );
}
