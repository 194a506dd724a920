import { lazy } from 'react';
import { ApiOutlined, CalendarOutlined, ThunderboltOutlined } from '@ant-design/icons';
import type { ConsoleRoute } from '../shared/routes';
import { AdminArea } from './AdminArea';
import './i18n';

const PartnersPage = lazy(() => import('./PartnersPage'));
const CalendarPage = lazy(() => import('./CalendarPage'));
const UrgenciesPage = lazy(() => import('./UrgenciesPage'));

/** Administration: partners, the working-day calendar, whistle urgencies. */
export const adminRoutes: ConsoleRoute[] = [
  { path: '/admin/partners', roles: ['admin'], element: <AdminArea page={<PartnersPage />} />, menu: { label: 'admin:menu.partners', icon: <ApiOutlined />, order: 60 } },
  { path: '/admin/calendar', roles: ['admin'], element: <AdminArea page={<CalendarPage />} />, menu: { label: 'admin:menu.calendar', icon: <CalendarOutlined />, order: 70 } },
  { path: '/admin/urgencies', roles: ['admin'], element: <AdminArea page={<UrgenciesPage />} />, menu: { label: 'admin:menu.urgencies', icon: <ThunderboltOutlined />, order: 80 } },
];
