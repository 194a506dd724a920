import { lazy } from 'react';
import { InboxOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const Placeholder = lazy(() => import('../shared/Placeholder'));

/** Whistles: a department's inbox (staff and supervisors: the whistles of their cases), the whistle page. */
export const whistlesRoutes: ConsoleRoute[] = [
  { path: '/whistles', roles: ['department', 'staff', 'supervisor', 'admin'], element: <Placeholder title="whistles" />, menu: { label: 'whistles:menu.inbox', icon: <InboxOutlined />, order: 30 } },
  { path: '/whistles/:id', roles: ['department', 'staff', 'supervisor', 'admin'], element: <Placeholder title="whistle" /> },
];
