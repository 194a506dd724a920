import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index';

/** The one place workflow code reaches activities. Every activity is idempotent, so retries are safe. */
export const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
