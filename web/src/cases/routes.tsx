import { lazy } from 'react';
import { FileAddOutlined, ProfileOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const Placeholder = lazy(() => import('../shared/Placeholder'));

/** Cases: intake, the list of cases, the case page (staff; supervisors and admins read and intervene). */
export const casesRoutes: ConsoleRoute[] = [
  { path: '/cases/new', roles: ['staff'], element: <Placeholder title="intake" />, menu: { label: 'cases:menu.intake', icon: <FileAddOutlined />, order: 10 } },
  { path: '/cases', roles: ['staff', 'supervisor', 'admin'], element: <Placeholder title="cases" />, menu: { label: 'cases:menu.cases', icon: <ProfileOutlined />, order: 20 } },
  { path: '/cases/:id', roles: ['staff', 'supervisor', 'admin'], element: <Placeholder title="case" /> },
];
