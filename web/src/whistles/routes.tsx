import { lazy } from 'react';
import { InboxOutlined, TrophyOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const Placeholder = lazy(() => import('../shared/Placeholder'));

/** Whistles: a department's inbox, the whistle page, the department's own assessment. */
export const whistlesRoutes: ConsoleRoute[] = [
  { path: '/whistles', roles: ['department', 'staff', 'supervisor', 'admin'], element: <Placeholder title="whistles" />, menu: { label: 'whistles:menu.inbox', icon: <InboxOutlined />, order: 30 } },
  { path: '/whistles/:id', roles: ['department', 'staff', 'supervisor', 'admin'], element: <Placeholder title="whistle" /> },
  { path: '/assessment', roles: ['department'], element: <Placeholder title="assessment" />, menu: { label: 'whistles:menu.assessment', icon: <TrophyOutlined />, order: 40 } },
];
