import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { keepPreviousData } from '@tanstack/react-query';
import { Button, Form, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { PauseCircleOutlined } from '@ant-design/icons';
import { $api, type Schemas, type paths } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemPage } from '../shared/problems';
import { useMe } from '../shared/session';
import { Countdown, formatTime } from '../shared/time';
import { useCatalogue, useLocalName } from './catalogue';
import './i18n';

/**
 * The cases a user may see (GET /api/cases: staff their station's, supervisors their subdistrict's, admins
 * all), filtered as the API filters (stage, category, overdue, station), a page at a time by the API's cursor,
 * the soonest next deadline first (the API's sort=next-deadline) with a live countdown; polled every 5 s.
 */

type Item = Schemas['CaseListItem'];
type Filters = NonNullable<paths['/api/cases']['get']['parameters']['query']>;
const stages: Item['stage'][] = ['accept', 'diagnose', 'plan', 'execute', 'coordinate', 'close', 'closed'];
const pageSize = 20;

/** Earliest deadline first; cases without a running deadline last. */
function byNextDue(a: Item, b: Item): number {
  if (a.nextDueAt === b.nextDueAt) return 0;
  if (a.nextDueAt === null) return 1;
  if (b.nextDueAt === null) return -1;
  return Date.parse(a.nextDueAt) - Date.parse(b.nextDueAt);
}

/** One labelled filter of the list: "all" (no query parameter) or one of `options`. */
function FilterSelect<V extends string>(props: { id: string; label: string; width: number; value: V | undefined; onChange: (v: V | undefined) => void; all: string; options: { value: V; label: string }[] }) {
  return (
    <Form.Item label={props.label} htmlFor={props.id}>
      <Select<V | ''>
        id={props.id}
        style={{ width: props.width }}
        value={props.value ?? ''}
        onChange={(v) => props.onChange(v === '' ? undefined : v)}
        options={[{ value: '' as const, label: props.all }, ...props.options]}
      />
    </Form.Item>
  );
}

export default function CasesPage() {
  const { t } = useTranslation('cases');
  const local = useLocalName();
  const me = useMe();
  // The API orders by the next deadline (soonest, overdue first; closed last) across pages, not just this one.
  const [filters, setFilters] = useState<Omit<Filters, 'cursor' | 'limit'>>({ sort: 'next-deadline' });
  // The cursors of the pages visited: the last one is the page shown (undefined: the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const list = $api.useQuery(
    'get',
    '/api/cases',
    { params: { query: { ...filters, limit: pageSize, ...(cursor ? { cursor } : {}) } } },
    { refetchInterval: 5000, placeholderData: keepPreviousData },
  );
  const catalogue = useCatalogue();
  const stations = $api.useQuery('get', '/api/stations', {}, { enabled: me.role !== 'staff', staleTime: 5 * 60_000 });
  const services = useMemo(() => new Map((catalogue.data?.items ?? []).map((i) => [i.code, i])), [catalogue.data]);
  const stationNames = useMemo(() => new Map((stations.data?.items ?? []).map((s) => [s.id, s])), [stations.data]);

  const filter = (change: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...change }));
    setCursors([undefined]);
  };

  if (list.error && !list.data) return <ProblemPage problem={list.error} />;

  const columns: TableColumnsType<Item> = [
    { title: t('list.id'), dataIndex: 'id', key: 'id', render: (id: string) => <Link to={`/cases/${id}`}>{id}</Link> },
    ...(me.role !== 'staff' ? [{ title: t('list.station'), dataIndex: 'stationId', key: 'station', render: (id: string) => local(stationNames.get(id)) || id }] : []),
    { title: t('list.service'), dataIndex: 'serviceCode', key: 'service', render: (code: string) => local(services.get(code)) || code },
    {
      title: t('list.stage'),
      key: 'stage',
      render: (_: unknown, c: Item) => (
        <Space size={4} wrap>
          <Tag>{t(`list.stages.${c.stage}`)}</Tag>
          {c.resolution && <Tag>{t(`list.resolution.${c.resolution}`)}</Tag>}
          {c.paused && <Tag icon={<PauseCircleOutlined aria-hidden />}>{t('list.paused')}</Tag>}
        </Space>
      ),
    },
    {
      title: t('list.nextDue'),
      key: 'nextDue',
      sorter: byNextDue,
      defaultSortOrder: 'ascend',
      sortDirections: ['ascend', 'descend', 'ascend'],
      render: (_: unknown, c: Item) => <Countdown due={c.nextDueAt} />,
    },
    { title: t('list.channel'), dataIndex: 'channel', key: 'channel', render: (ch: Item['channel']) => t(`list.channels.${ch}`) },
    {
      title: `${t('list.openedAt')}（${t('common:time.beijing')}）`,
      dataIndex: 'openedAt',
      key: 'openedAt',
      sorter: (a: Item, b: Item) => Date.parse(a.openedAt) - Date.parse(b.openedAt),
      render: (at: string) => formatTime(at),
    },
  ];

  return (
    <>
      <Typography.Title level={1}>{me.role === 'staff' ? t('list.titleStaff') : t('list.title')}</Typography.Title>
      <Typography.Paragraph>{t('list.live')}</Typography.Paragraph>
      <Form layout="inline" aria-label={t('list.filters')} style={{ marginBottom: 16, rowGap: 8 }}>
        <FilterSelect id="cases-stage" label={t('list.stage')} width={150} value={filters.stage} onChange={(stage) => filter({ stage })} all={t('list.allStages')} options={stages.map((s) => ({ value: s, label: t(`list.stages.${s}`) }))} />
        <FilterSelect
          id="cases-category"
          label={t('list.category')}
          width={150}
          value={filters.category}
          onChange={(category) => filter({ category })}
          all={t('list.allCategories')}
          options={(catalogue.data?.categories ?? []).map((c) => ({ value: c.code, label: local(c) }))}
        />
        <FilterSelect
          id="cases-overdue"
          label={t('list.deadline')}
          width={130}
          value={filters.overdue}
          onChange={(overdue) => filter({ overdue })}
          all={t('list.allDeadlines')}
          options={[
            { value: 'true' as const, label: t('list.overdue') },
            { value: 'false' as const, label: t('list.withinDeadline') },
          ]}
        />
        {me.role !== 'staff' && (
          <FilterSelect
            id="cases-station"
            label={t('list.station')}
            width={200}
            value={filters.stationId}
            onChange={(stationId) => filter({ stationId })}
            all={t('list.allStations')}
            options={(stations.data?.items ?? []).map((s) => ({ value: s.id, label: local(s) }))}
          />
        )}
      </Form>
      <Table<Item>
        rowKey="id"
        columns={columns}
        dataSource={list.data?.items ?? []}
        loading={list.isPending}
        pagination={false}
        locale={{ emptyText: t('list.empty') }}
        showSorterTooltip={false}
      />
      <nav aria-label={t('list.pages')} style={{ marginTop: 16 }}>
        <Space>
          <Button disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t('list.previous')}
          </Button>
          <span>{t('list.page', { n: cursors.length })}</span>
          <Button disabled={!list.data?.nextCursor} onClick={() => setCursors((c) => [...c, list.data?.nextCursor])}>
            {t('list.next')}
          </Button>
        </Space>
      </nav>
    </>
  );
}
