import { Link } from 'react-router-dom';
import { Card, Col, Empty, Row, Space, Statistic, Table, Typography } from 'antd';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage } from '../shared/problems';
import { formatSpan, formatTime, useNow } from '../shared/time';
import { muted, ReasonTag, useNames, type Reason } from './words';

type Cell = Schemas['StuckSummary']['cells'][number];

/** The stuck list's address with a filter applied. */
export function stuckListLink(filter: { reason?: string; station?: string; department?: string | null }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  const s = q.toString();
  return `/supervision/stuck${s ? `?${s}` : ''}`;
}

/** The supervisor's first screen: what is stuck, for which reason, where — each count a link into the stuck list. */
export default function SummaryPage() {
  const { t } = useTranslation('supervision');
  const names = useNames();
  const now = useNow(10_000);
  const summary = $api.useQuery('get', '/api/supervision/summary', {}, { refetchInterval: 10_000 });
  if (summary.error && [403, 404].includes((summary.error as { status?: number }).status ?? 0)) return <ProblemPage problem={summary.error} />;
  const data = summary.data;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('summary.title')}
      </Typography.Title>
      <ProblemAlert problem={summary.error} />
      {data && (
        <Space style={{ marginBottom: 16 }}>
          <Typography.Text style={muted}>{t('summary.asOf', { time: formatTime(data.asOf) })}</Typography.Text>
          <Link to={stuckListLink({})}>{t('summary.open')}</Link>
        </Space>
      )}
      <Typography.Title level={2} style={{ fontSize: 18 }}>
        {t('summary.byReason')}
      </Typography.Title>
      {data && data.totals.length === 0 ? (
        <Empty description={t('summary.nothing')} />
      ) : (
        <Row gutter={[16, 16]} data-testid="summary-totals">
          {(data?.totals ?? []).map((r) => (
            <Col key={r.reason} xs={24} sm={12} md={8} lg={6}>
              <Card size="small">
                <Space direction="vertical" size={4}>
                  <ReasonTag reason={r.reason} />
                  <Statistic title={<span style={muted}>{t('summary.cases')}</span>} value={r.cases} aria-label={`${t(`reasons.${r.reason}`)}: ${t('summary.casesCount', { count: r.cases })}`} />
                  <Link to={stuckListLink({ reason: r.reason })}>{t('summary.openFiltered', { reason: t(`reasons.${r.reason}`) })}</Link>
                </Space>
              </Card>
            </Col>
          ))}
        </Row>
      )}
      <Typography.Title level={2} style={{ fontSize: 18, marginTop: 24 }}>
        {t('summary.cells')}
      </Typography.Title>
      <Table<Cell>
        size="small"
        loading={summary.isPending}
        rowKey={(c) => `${c.reason}|${c.stationId}|${c.departmentId ?? ''}`}
        dataSource={data?.cells ?? []}
        pagination={false}
        locale={{ emptyText: t('summary.nothing') }}
        columns={[
          { title: t('summary.reason'), key: 'reason', render: (_, c) => <ReasonTag reason={c.reason as Reason} /> },
          { title: t('summary.station'), key: 'station', render: (_, c) => names.station(c.stationId) },
          { title: t('summary.department'), key: 'department', render: (_, c) => names.department(c.departmentId) },
          {
            title: t('summary.cases'),
            key: 'cases',
            align: 'right',
            render: (_, c) => <Link to={stuckListLink({ reason: c.reason, station: c.stationId, department: c.departmentId })}>{t('summary.casesCount', { count: c.cases })}</Link>,
          },
          { title: t('summary.count'), dataIndex: 'count', align: 'right' },
          {
            title: t('summary.oldest'),
            key: 'oldest',
            render: (_, c) => (
              <Space size={4}>
                <Link to={`/cases/${c.oldest.caseId}`}>{c.oldest.caseId}</Link>
                <Typography.Text style={muted}>{t('age.lasting', { span: formatSpan(now - Date.parse(c.oldest.since), t) })}</Typography.Text>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
