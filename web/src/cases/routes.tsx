import { lazy } from 'react';
import { FileAddOutlined, ProfileOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const IntakePage = lazy(() => import('./IntakePage'));
const CasesPage = lazy(() => import('./CasesPage'));
const CasePage = lazy(() => import('./CasePage'));

/** Cases: intake, the list of cases, the case page (staff; supervisors and admins read and intervene). */
export const casesRoutes: ConsoleRoute[] = [
  { path: '/cases/new', roles: ['staff'], element: <IntakePage />, menu: { label: 'cases:menu.intake', icon: <FileAddOutlined />, order: 10 } },
  { path: '/cases', roles: ['staff', 'supervisor', 'admin'], element: <CasesPage />, menu: { label: 'cases:menu.cases', icon: <ProfileOutlined />, order: 20 } },
  { path: '/cases/:id', roles: ['staff', 'supervisor', 'admin'], element: <CasePage /> },
];
