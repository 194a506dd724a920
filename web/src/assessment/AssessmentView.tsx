import { lazy, Suspense, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { Button, DatePicker, Form, Space, Spin, Table, Tooltip, Typography, type TableColumnsType } from 'antd';
import { QuestionCircleOutlined } from '@ant-design/icons';
import type { Problem } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, ProblemPage, showProblemOnForm } from '../shared/problems';
import { beijing, dayjs, formatSpan } from '../shared/time';
import { departmentName, ratesOf, type Assessment, type Rate } from './figures';
import './i18n';

const AssessmentChart = lazy(() => import('./AssessmentChart'));

/** A period as the page shows it: Beijing days, both inclusive (`YYYY-MM-DD`). */
export interface Period {
  from: string;
  to: string;
}

const day = 'YYYY-MM-DD';
const today = () => dayjs().tz(beijing).format(day);
const shift = (d: string, days: number) => dayjs(d, day).add(days, 'day').format(day);
const isDay = (s: string | null): s is string => s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s) && dayjs(s, day).isValid();

/** The period in the page's address (?from=&to=, both inclusive Beijing days); the last 30 days by default. */
export function usePeriod(): [Period, (p: Period) => void] {
  const [params, setParams] = useSearchParams();
  const from = params.get('from');
  const to = params.get('to');
  const period = isDay(from) && isDay(to) ? { from, to } : { from: shift(today(), -29), to: today() };
  return [period, (p) => setParams({ from: p.from, to: p.to }, { replace: true })];
}

/**
 * The query the API takes: a date is 00:00 Beijing time and `to` is exclusive, so the last day shown is
 * included by asking up to the day after it.
 */
export const apiQuery = (p: Period) => ({ from: p.from, to: shift(p.to, 1) });

/** The period's form: two dates and quick periods. An impossible period is the API's to refuse, beside the field. */
export function PeriodPicker({ period, onChange, error }: { period: Period; onChange: (p: Period) => void; error: unknown }) {
  const { t } = useTranslation('assessment');
  const [form] = Form.useForm();
  useEffect(() => {
    form.setFieldsValue({ from: dayjs(period.from, day), to: dayjs(period.to, day) });
  }, [form, period.from, period.to]);
  // The API's refusal beside its field while it stands; gone with the next period it accepts.
  const [rest, setRest] = useState<Problem | undefined>();
  useEffect(() => {
    if (error) setRest(showProblemOnForm(form, error));
    else {
      form.setFields([
        { name: 'from', errors: [] },
        { name: 'to', errors: [] },
      ]);
      setRest(undefined);
    }
  }, [form, error]);
  const now = today();
  const presets: [string, Period][] = [
    ['last7', { from: shift(now, -6), to: now }],
    ['last30', { from: shift(now, -29), to: now }],
    ['thisMonth', { from: `${now.slice(0, 7)}-01`, to: now }],
    ['thisYear', { from: `${now.slice(0, 4)}-01-01`, to: now }],
  ];
  return (
    <section aria-label={t('period.legend')}>
      <Form
        form={form}
        name="assessment-period"
        layout="inline"
        onValuesChange={(_, all: { from?: dayjs.Dayjs | null; to?: dayjs.Dayjs | null }) => {
          if (all.from && all.to) onChange({ from: all.from.format(day), to: all.to.format(day) });
        }}
        style={{ rowGap: 8, marginBottom: 16 }}
      >
        <Form.Item name="from" label={t('period.from')}>
          <DatePicker allowClear={false} format={day} />
        </Form.Item>
        <Form.Item name="to" label={t('period.to')}>
          <DatePicker allowClear={false} format={day} />
        </Form.Item>
        <Form.Item label={t('period.presets')}>
          <Space wrap>
            {presets.map(([key, p]) => (
              <Button key={key} type={p.from === period.from && p.to === period.to ? 'primary' : 'default'} onClick={() => onChange(p)}>
                {t(`period.${key}`)}
              </Button>
            ))}
          </Space>
        </Form.Item>
      </Form>
      {rest && <ProblemAlert problem={rest} />}
    </section>
  );
}

function RateCell({ rate }: { rate: Rate }) {
  const { t } = useTranslation('assessment');
  if (rate.percent === null) return <span>{t('noData')}</span>;
  return <span>{t('rate', { rate: rate.percent.toFixed(1), part: rate.part, whole: rate.whole })}</span>;
}

function Hint({ title, hint }: { title: string; hint: string }) {
  return (
    <Tooltip title={hint}>
      <span>
        {title} <QuestionCircleOutlined aria-label={hint} />
      </span>
    </Tooltip>
  );
}

const byPercent = (r: (a: Assessment) => number | null) => (a: Assessment, b: Assessment) => (r(a) ?? -1) - (r(b) ?? -1);

/** The figures of each department: the chart's text alternative, every number in a cell. */
export function AssessmentTable({ items }: { items: Assessment[] }) {
  const { t, i18n } = useTranslation('assessment');
  const zh = i18n.language !== 'en';
  const columns: TableColumnsType<Assessment> = [
    { key: 'department', title: t('columns.department'), render: (_, a) => departmentName(a, zh), fixed: 'left' },
    { key: 'calls', title: t('columns.calls'), dataIndex: 'calls', sorter: (a, b) => a.calls - b.calls },
    {
      key: 'checkInRate',
      title: <Hint title={t('columns.checkInRate')} hint={t('columns.checkInRateHint')} />,
      render: (_, a) => <RateCell rate={ratesOf(a).checkIn} />,
      sorter: byPercent((a) => ratesOf(a).checkIn.percent),
    },
    { key: 'missedCheckIns', title: t('columns.missedCheckIns'), dataIndex: 'missedCheckIns' },
    {
      key: 'medianLatency',
      title: t('columns.medianLatency'),
      render: (_, a) => (a.medianCheckInLatencySeconds === null ? '—' : formatSpan(a.medianCheckInLatencySeconds * 1000, t)),
    },
    {
      key: 'reportRate',
      title: <Hint title={t('columns.reportRate')} hint={t('columns.reportRateHint')} />,
      render: (_, a) => <RateCell rate={ratesOf(a).report} />,
      sorter: byPercent((a) => ratesOf(a).report.percent),
    },
    { key: 'notReported', title: t('columns.notReported'), dataIndex: 'notReported' },
    { key: 'disputes', title: t('columns.disputes'), dataIndex: 'disputes' },
    { key: 'released', title: t('columns.released'), dataIndex: 'released' },
    {
      key: 'satisfaction',
      title: <Hint title={t('columns.satisfaction')} hint={t('columns.satisfactionHint')} />,
      render: (_, a) => {
        const s = ratesOf(a).satisfaction;
        return s === null ? (
          <span>{t('noData')}</span>
        ) : (
          <span>
            {t('score', { score: s.toFixed(2) })} · {t('columns.ratings', { count: a.ratings.count })}
          </span>
        );
      },
      sorter: byPercent((a) => ratesOf(a).satisfaction),
    },
    {
      key: 'feedbackGiven',
      title: t('columns.feedbackGiven'),
      render: (_, a) => (a.feedbackGiven.average === null ? '—' : t('score', { score: a.feedbackGiven.average.toFixed(2) })),
    },
    { key: 'urged', title: t('columns.urged'), dataIndex: 'urged', sorter: (a, b) => a.urged - b.urged },
  ];
  return (
    <Table<Assessment>
      data-testid="assessment-table"
      rowKey={(a) => a.department.id}
      columns={columns}
      dataSource={items}
      pagination={false}
      size="middle"
      scroll={{ x: 'max-content' }}
      title={() => <Typography.Title level={2} style={{ fontSize: 16, margin: 0 }}>{t('table.caption')}</Typography.Title>}
      locale={{ emptyText: t('empty') }}
    />
  );
}

/**
 * A page of the assessment: its heading, the period, the chart and the table of `items` — the same for a
 * department (its own row) and for supervisors (every department of their subdistrict).
 */
export function AssessmentView({
  title,
  intro,
  period,
  onPeriod,
  items,
  error,
  loading,
}: {
  title: string;
  intro: string;
  period: Period;
  onPeriod: (p: Period) => void;
  items: Assessment[] | undefined;
  error: unknown;
  loading: boolean;
}) {
  const { t } = useTranslation('assessment');
  const status = (error as { status?: number } | null)?.status;
  if (status === 403 || status === 404) return <ProblemPage problem={error} />;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {title}
      </Typography.Title>
      <Typography.Paragraph>{intro}</Typography.Paragraph>
      <PeriodPicker period={period} onChange={onPeriod} error={error} />
      <Typography.Paragraph data-testid="assessment-period">{t('period.shown', { from: period.from, to: period.to })}</Typography.Paragraph>
      {loading && !items ? (
        <Spin />
      ) : (
        items && (
          <>
            {items.length > 0 && (
              <Suspense fallback={<Spin />}>
                <AssessmentChart items={items} />
              </Suspense>
            )}
            <AssessmentTable items={items} />
          </>
        )
      )}
    </>
  );
}
