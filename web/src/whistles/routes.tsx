import { lazy } from 'react';
import { InboxOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const InboxPage = lazy(() => import('./InboxPage'));
const WhistlePage = lazy(() => import('./WhistlePage'));

/** Whistles: a department's inbox (staff and supervisors: the whistles of their scope), the whistle page. */
export const whistlesRoutes: ConsoleRoute[] = [
  { path: '/whistles', roles: ['department', 'staff', 'supervisor', 'admin'], element: <InboxPage />, menu: { label: 'whistles:menu.inbox', icon: <InboxOutlined />, order: 30 } },
  { path: '/whistles/:id', roles: ['department', 'staff', 'supervisor', 'admin'], element: <WhistlePage /> },
];
