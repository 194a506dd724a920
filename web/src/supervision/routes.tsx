import { lazy } from 'react';
import { AlertOutlined, DashboardOutlined, WarningOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const SummaryPage = lazy(() => import('./SummaryPage'));
const StuckPage = lazy(() => import('./StuckPage'));
const AlertsPage = lazy(() => import('./AlertsPage'));

/** Supervision: the morning summary, the stuck list and batches, alerts. */
export const supervisionRoutes: ConsoleRoute[] = [
  { path: '/supervision', roles: ['supervisor', 'admin'], element: <SummaryPage />, menu: { label: 'supervision:menu.summary', icon: <DashboardOutlined />, order: 5 } },
  { path: '/supervision/stuck', roles: ['supervisor', 'admin'], element: <StuckPage />, menu: { label: 'supervision:menu.stuck', icon: <WarningOutlined />, order: 6 } },
  { path: '/supervision/alerts', roles: ['supervisor', 'admin'], element: <AlertsPage />, menu: { label: 'supervision:menu.alerts', icon: <AlertOutlined />, order: 7 } },
];
