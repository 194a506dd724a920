import { lazy } from 'react';
import { ApiOutlined, CalendarOutlined, ThunderboltOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const Placeholder = lazy(() => import('../shared/Placeholder'));

/** Administration: partners, the working-day calendar, whistle urgencies. */
export const adminRoutes: ConsoleRoute[] = [
  { path: '/admin/partners', roles: ['admin'], element: <Placeholder title="partners" />, menu: { label: 'admin:menu.partners', icon: <ApiOutlined />, order: 60 } },
  { path: '/admin/calendar', roles: ['admin'], element: <Placeholder title="calendar" />, menu: { label: 'admin:menu.calendar', icon: <CalendarOutlined />, order: 70 } },
  { path: '/admin/urgencies', roles: ['admin'], element: <Placeholder title="urgencies" />, menu: { label: 'admin:menu.urgencies', icon: <ThunderboltOutlined />, order: 80 } },
];
