import type { Db } from '../db/client';
import { batchActivities } from './batch/activities';
import { calendarActivities } from './calendar/activities';
import { caseActivities } from './case/activities';
import { deliveryActivities } from './delivery/activities';
import { type DeliveryConfig, defaultDeliveryConfig } from './delivery/config';
import { retentionActivities } from './retention/activities';
import { whistleActivities } from './whistle/activities';

export interface ActivityDeps {
  db: Db;
  /** Channels' settings; without them email and SMS are not configured (notices to those channels give up). */
  delivery?: DeliveryConfig;
}

/** All activities, bound to their dependencies. Workflows type their proxies from this function. */
export function createActivities(deps: ActivityDeps) {
  const delivery = deps.delivery ?? defaultDeliveryConfig;
  return {
    ...caseActivities(deps.db, delivery),
    ...deliveryActivities(deps.db, delivery),
    ...calendarActivities(deps.db),
    ...whistleActivities(deps.db),
    ...batchActivities(deps.db),
    ...retentionActivities(deps.db),
  };
}
