import type { Db } from '../db/client';
import { calendarActivities } from './calendar';
import { caseActivities } from './cases';
import { deliveryActivities } from './deliveries';
import { type DeliveryConfig, defaultDeliveryConfig } from './delivery-config';
import { whistleActivities } from './whistles';

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
  };
}
