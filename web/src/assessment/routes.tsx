import { lazy } from 'react';
import { BarChartOutlined, TrophyOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const OwnAssessmentPage = lazy(() => import('./OwnAssessmentPage'));
const DepartmentsAssessmentPage = lazy(() => import('./DepartmentsAssessmentPage'));

/** The departments' assessment (check-in, report and satisfaction rates): a department's own, and every department's for supervisors. */
export const assessmentRoutes: ConsoleRoute[] = [
  { path: '/assessment', roles: ['department'], element: <OwnAssessmentPage />, menu: { label: 'assessment:menu.own', icon: <TrophyOutlined />, order: 40 } },
  { path: '/supervision/assessment', roles: ['supervisor', 'admin'], element: <DepartmentsAssessmentPage />, menu: { label: 'assessment:menu.departments', icon: <BarChartOutlined />, order: 50 } },
];
