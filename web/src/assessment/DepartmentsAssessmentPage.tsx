import { $api } from '../shared/api';
import { useTranslation } from '../shared/i18n';
import { apiQuery, AssessmentView, usePeriod } from './AssessmentView';

/** Supervisors and admins: every department's assessment (a supervisor's subdistrict; an admin's all) as chart and table. */
export default function DepartmentsAssessmentPage() {
  const { t } = useTranslation('assessment');
  const [period, setPeriod] = usePeriod();
  const q = $api.useQuery('get', '/api/assessments/departments', { params: { query: apiQuery(period) } }, { refetchInterval: 15_000, retry: false });
  return (
    <AssessmentView
      title={t('title.departments')}
      intro={t('intro.departments')}
      period={period}
      onPeriod={setPeriod}
      items={q.data?.items}
      error={q.error}
      loading={q.isPending}
    />
  );
}
