import type { ReactNode } from 'react';
import type { Role } from './session';

/**
 * One page of the console, as each area (cases/, whistles/, supervision/, admin/) lists its own in its
 * routes.tsx: the path under /console/, the roles that see it (the API still checks every call), and its
 * menu entry if it has one (`label` is an i18n key "namespace:key").
 */
export interface ConsoleRoute {
  path: string;
  roles: readonly Role[];
  element: ReactNode;
  menu?: { label: string; icon?: ReactNode; order: number };
}
