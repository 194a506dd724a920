import type { Db } from '../db/client';
import { calendarActivities } from './calendar';
import { caseActivities } from './cases';
import { whistleActivities } from './whistles';

export interface ActivityDeps {
  db: Db;
}

/** All activities, bound to their dependencies. Workflows type their proxies from this function. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...caseActivities(deps.db),
    ...calendarActivities(deps.db),
    ...whistleActivities(deps.db),
  };
}
