import { type Client, ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { type RetentionInput, retentionScheduleId, retentionWorkflowId, retentionWorkflowType } from '../workflows/retention/messages';

/**
 * The retention schedule (README "Security" → Retention): Temporal starts the retention workflow every day at
 * 03:00 Beijing time (19:00 UTC); a run still going when the next falls due makes that one skipped, and a
 * run missed while the server was down is made up within a day. Created or brought up to date by every
 * worker at boot (`npm start`, `npm run worker`), so RETENTION_AFTER_CLOSE takes effect on the next run;
 * with RETENTION_AFTER_CLOSE=off the schedule is removed and nothing is erased.
 */
export const retentionSpec: ScheduleSpec = { intervals: [{ every: '1 day', offset: '19 hours' }] };

export async function ensureRetentionSchedule(
  client: Client,
  opts: { taskQueue: string; afterCloseMs: number | undefined },
): Promise<'created' | 'updated' | 'removed' | 'off'> {
  const handle = client.schedule.getHandle(retentionScheduleId);
  if (opts.afterCloseMs === undefined) {
    try {
      await handle.delete();
      return 'removed';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  const input: RetentionInput = { afterCloseMs: opts.afterCloseMs };
  const action: ScheduleOptionsAction = { type: 'startWorkflow', workflowType: retentionWorkflowType, workflowId: retentionWorkflowId, taskQueue: opts.taskQueue, args: [input] };
  const policies = { overlap: 'SKIP', catchupWindow: '1 day' } as const;
  try {
    await client.schedule.create({ scheduleId: retentionScheduleId, spec: retentionSpec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((previous) => ({ ...previous, spec: retentionSpec, action, policies }));
  return 'updated';
}
