import { lazy } from 'react';
import { AlertOutlined, DashboardOutlined, WarningOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const Placeholder = lazy(() => import('../shared/Placeholder'));

/** Supervision: the morning summary, the stuck list and batches, alerts. */
export const supervisionRoutes: ConsoleRoute[] = [
  { path: '/supervision', roles: ['supervisor', 'admin'], element: <Placeholder title="summary" />, menu: { label: 'supervision:menu.summary', icon: <DashboardOutlined />, order: 5 } },
  { path: '/supervision/stuck', roles: ['supervisor', 'admin'], element: <Placeholder title="stuck" />, menu: { label: 'supervision:menu.stuck', icon: <WarningOutlined />, order: 6 } },
  { path: '/supervision/alerts', roles: ['supervisor', 'admin'], element: <Placeholder title="alerts" />, menu: { label: 'supervision:menu.alerts', icon: <AlertOutlined />, order: 7 } },
];
