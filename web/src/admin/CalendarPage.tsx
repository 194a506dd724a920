import { useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, InputNumber, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import { CheckCircleOutlined, CoffeeOutlined, DeleteOutlined, ExclamationCircleOutlined, LeftOutlined, PlusOutlined, RightOutlined, ToolOutlined, UploadOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { $api, type Schemas } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { clearStaleErrors, showApiErrors } from './forms';
import { ProblemAlert } from '../shared/problems';
import { dayjs, formatTime } from '../shared/time';
import './i18n';

type Day = Schemas['CalendarDay'];
interface ImportValues {
  source: string;
  days: Day[];
}

const minYear = 2000;
const maxYear = 2100;
const emptyDay = (): Day => ({ date: '', kind: 'holiday', name: '' });

/** The import's JSON, pasted or uploaded: `{ source?, days: [...] }` or just the days. Throws with the reason. */
function parseCalendarJson(text: string): Partial<ImportValues> {
  const parsed: unknown = JSON.parse(text);
  const body = Array.isArray(parsed) ? { days: parsed } : parsed;
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { days?: unknown }).days)) throw new Error('days');
  const { source, days } = body as { source?: unknown; days: unknown[] };
  // Each row as given (the API checks it); only the three fields the form has, every one present.
  const rows = days.map((d) => {
    const o = (d !== null && typeof d === 'object' ? d : {}) as Record<string, unknown>;
    return { date: String(o.date ?? ''), kind: (o.kind ?? 'holiday') as Day['kind'], name: String(o.name ?? '') };
  });
  return { ...(typeof source === 'string' ? { source } : {}), days: rows };
}

/**
 * The working-day calendar (admins): a year's public holidays and adjusted working days and whether the official
 * calendar is loaded; importing a year by editing rows, pasting or uploading JSON. The API checks every row (a
 * date that does not exist or is of another year, a day listed twice) and its errors appear beside the row.
 */
export default function CalendarPage() {
  const { t } = useTranslation('admin');
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [year, setYear] = useState(() => dayjs().tz('Asia/Shanghai').year() + 1);
  const [form] = Form.useForm<ImportValues>();
  const [problem, setProblem] = useState<unknown>();
  const [json, setJson] = useState('');
  const [jsonError, setJsonError] = useState<string>();
  const calendar = $api.useQuery('get', '/api/calendar/{year}', { params: { path: { year } } });
  const importYear = $api.useMutation('put', '/api/calendar/{year}');

  const fill = (text: string) => {
    try {
      const values = parseCalendarJson(text);
      form.setFieldsValue({ ...values, source: values.source ?? form.getFieldValue('source') });
      setJsonError(undefined);
    } catch (err) {
      setJsonError(t('calendar.jsonInvalid', { reason: err instanceof SyntaxError ? err.message : t('calendar.jsonHelp') }));
    }
  };
  const submit = async () => {
    const v = form.getFieldsValue(true) as ImportValues;
    setProblem(undefined);
    try {
      const result = await importYear.mutateAsync({ params: { path: { year } }, body: { source: v.source ?? '', days: v.days ?? [] } });
      void message.success(t('calendar.imported', { year: result.year, days: result.days, cases: result.recomputedCases }));
      await queryClient.invalidateQueries({ queryKey: ['get', '/api/calendar/{year}'] });
    } catch (err) {
      setProblem(showApiErrors(form, err));
    }
  };
  const changeYear = (y: number | null) => {
    if (y === null || !Number.isInteger(y) || y < minYear || y > maxYear) return;
    setYear(y);
    setProblem(undefined);
    form.resetFields();
  };

  const data = calendar.data;
  return (
    <>
      <Typography.Title level={1} style={{ fontSize: 24 }}>
        {t('calendar.title')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('calendar.intro')}</Typography.Paragraph>
      <Space style={{ marginBottom: 16 }} align="center">
        <Button icon={<LeftOutlined />} aria-label={t('calendar.previous')} onClick={() => changeYear(year - 1)} disabled={year <= minYear} />
        <label htmlFor="calendar-year">{t('calendar.year')}</label>
        <InputNumber id="calendar-year" min={minYear} max={maxYear} precision={0} value={year} onChange={(v) => changeYear(v)} />
        <Button icon={<RightOutlined />} aria-label={t('calendar.next')} onClick={() => changeYear(year + 1)} disabled={year >= maxYear} />
      </Space>
      <ProblemAlert problem={calendar.error} />
      <Descriptions bordered size="small" column={1} style={{ marginBottom: 16, maxWidth: 720 }}>
        <Descriptions.Item label={t('calendar.official')}>
          <span data-testid="calendar-official">
            {data &&
              (data.official ? (
                <Tag icon={<CheckCircleOutlined style={{ color: '#237804' }} />}>{t('calendar.officialYes')}</Tag>
              ) : (
                <Tag icon={<ExclamationCircleOutlined style={{ color: '#ad4e00' }} />}>{t('calendar.officialNo')}</Tag>
              ))}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('calendar.source')}>{data?.source ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('calendar.importedAt')}>{formatTime(data?.importedAt)}</Descriptions.Item>
      </Descriptions>
      <Table<Day>
        rowKey="date"
        size="small"
        loading={calendar.isPending}
        dataSource={data?.days}
        pagination={false}
        locale={{ emptyText: t('calendar.empty') }}
        style={{ maxWidth: 720, marginBottom: 24 }}
        columns={[
          { title: t('calendar.date'), dataIndex: 'date', key: 'date' },
          { title: t('calendar.weekday'), key: 'weekday', render: (_, d) => dayjs(d.date).format('dddd') },
          {
            title: t('calendar.kind'),
            key: 'kind',
            render: (_, d) => <Tag icon={d.kind === 'holiday' ? <CoffeeOutlined /> : <ToolOutlined />}>{t(`calendar.kinds.${d.kind}`)}</Tag>,
          },
          { title: t('calendar.name'), dataIndex: 'name', key: 'name' },
        ]}
      />

      <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('calendar.importTitle', { year })}</h2>}>
        <Typography.Paragraph type="secondary">{t('calendar.importHint')}</Typography.Paragraph>
        <ProblemAlert problem={problem} onClose={() => setProblem(undefined)} />
        <Space wrap style={{ marginBottom: 16 }}>
          <Button disabled={!data?.days.length} onClick={() => form.setFieldsValue({ source: data?.source ?? '', days: data?.days.map((d) => ({ ...d })) ?? [] })}>
            {t('calendar.loadCurrent')}
          </Button>
          <Upload
            accept="application/json,.json"
            showUploadList={false}
            beforeUpload={(file) => {
              void file.text().then((text) => {
                setJson(text);
                fill(text);
              });
              return false;
            }}
          >
            <Button icon={<UploadOutlined />}>{t('calendar.upload')}</Button>
          </Upload>
        </Space>
        <Form layout="vertical" style={{ marginBottom: 16 }}>
          <Form.Item label={t('calendar.json')} htmlFor="calendar-json" extra={t('calendar.jsonHelp')} validateStatus={jsonError ? 'error' : undefined} help={jsonError}>
            <Input.TextArea id="calendar-json" value={json} onChange={(e) => setJson(e.target.value)} autoSize={{ minRows: 3, maxRows: 10 }} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
          <Button onClick={() => fill(json)} disabled={!json.trim()}>
            {t('calendar.jsonApply')}
          </Button>
        </Form>
        <Form form={form} name="calendar" onFieldsChange={clearStaleErrors(form)} layout="vertical" initialValues={{ source: '', days: [emptyDay()] }} onFinish={() => void submit()}>
          <Form.Item name="source" label={t('calendar.source')}>
            <Input placeholder={t('calendar.sourcePlaceholder')} style={{ maxWidth: 480 }} />
          </Form.Item>
          <fieldset style={{ border: 0, padding: 0, margin: 0 }}>
            <legend style={{ fontSize: 14, fontWeight: 600, color: 'rgba(0, 0, 0, 0.88)', marginBottom: 8 }}>{t('calendar.rows')}</legend>
            <Form.List name="days">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((field, i) => (
                    <Space key={field.key} align="start" wrap>
                      <Form.Item name={[field.name, 'date']} label={t('calendar.rowDate', { n: i + 1 })}>
                        <Input placeholder="YYYY-MM-DD" style={{ width: 160 }} autoComplete="off" />
                      </Form.Item>
                      <Form.Item name={[field.name, 'kind']} label={t('calendar.rowKind', { n: i + 1 })}>
                        <Select style={{ width: 200 }} options={(['holiday', 'workday'] as const).map((k) => ({ value: k, label: t(`calendar.kinds.${k}`) }))} />
                      </Form.Item>
                      <Form.Item name={[field.name, 'name']} label={t('calendar.rowName', { n: i + 1 })}>
                        <Input style={{ width: 220 }} />
                      </Form.Item>
                      <Form.Item label=" " colon={false}>
                        <Button icon={<DeleteOutlined />} aria-label={t('calendar.removeRow', { n: i + 1 })} onClick={() => remove(field.name)} />
                      </Form.Item>
                    </Space>
                  ))}
                  <div>
                    <Button icon={<PlusOutlined />} onClick={() => add(emptyDay())} style={{ marginBottom: 16 }}>
                      {t('calendar.addRow')}
                    </Button>
                  </div>
                </>
              )}
            </Form.List>
          </fieldset>
          <Button type="primary" htmlType="submit" loading={importYear.isPending}>
            {t('calendar.submit', { year })}
          </Button>
        </Form>
      </Card>
    </>
  );
}
