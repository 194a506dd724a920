import { lazy } from 'react';
import { ApiOutlined, CalendarOutlined, ThunderboltOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import './i18n';

const PartnersPage = lazy(() => import('./PartnersPage'));
const CalendarPage = lazy(() => import('./CalendarPage'));
const UrgenciesPage = lazy(() => import('./UrgenciesPage'));

/** Administration: partners, the working-day calendar, whistle urgencies. */
export const adminRoutes: ConsoleRoute[] = [
  { path: '/admin/partners', roles: ['admin'], element: <PartnersPage />, menu: { label: 'admin:menu.partners', icon: <ApiOutlined />, order: 60 } },
  { path: '/admin/calendar', roles: ['admin'], element: <CalendarPage />, menu: { label: 'admin:menu.calendar', icon: <CalendarOutlined />, order: 70 } },
  { path: '/admin/urgencies', roles: ['admin'], element: <UrgenciesPage />, menu: { label: 'admin:menu.urgencies', icon: <ThunderboltOutlined />, order: 80 } },
];
