import { Result } from 'antd';
import { $api } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { useMe } from '../shared/session';
import { apiQuery, AssessmentView, usePeriod } from './AssessmentView';

/** A department: its own assessment only (the API refuses any other department's). */
export default function OwnAssessmentPage() {
  const { t } = useTranslation('assessment');
  const me = useMe();
  const [period, setPeriod] = usePeriod();
  const id = me.department?.id ?? '';
  const q = $api.useQuery(
    'get',
    '/api/departments/{id}/assessment',
    { params: { path: { id }, query: apiQuery(period) } },
    { enabled: id !== '', refetchInterval: 15_000, retry: false },
  );
  if (!id) return <Result status="warning" title={t('noDepartment')} />;
  return (
    <AssessmentView
      title={t('title.own')}
      intro={t('intro.own')}
      period={period}
      onPeriod={setPeriod}
      items={q.data ? [q.data] : undefined}
      error={q.error}
      loading={q.isPending}
    />
  );
}
