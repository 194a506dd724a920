import type { Db } from '../db/client';
import { recordCaseOpenedActivity } from './cases';

export interface ActivityDeps {
  db: Db;
}

/** All activities, bound to their dependencies. Workflows type their proxies from this function. */
export function createActivities(deps: ActivityDeps) {
  return {
    recordCaseOpened: recordCaseOpenedActivity(deps.db),
  };
}
