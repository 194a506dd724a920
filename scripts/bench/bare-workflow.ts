import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

/**
 * Bare Temporal for the benchmark: a workflow that does nothing but take `updates` updates — each handler
 * sets a field — and ends after the last one. No activities, no timers: one round trip per update.
 */
export const bareStepUpdate = defineUpdate<number, [string]>('step');

export async function bareLifecycle(updates: number): Promise<{ last: string; taken: number }> {
  let last = '';
  let taken = 0;
  setHandler(bareStepUpdate, (name: string) => {
    last = name;
    taken += 1;
    return taken;
  });
  await condition(() => taken >= updates);
  return { last, taken };
}
