import { condition, patched } from '@temporalio/workflow';

/**
 * Patch id: a waiter that wakes checks the lock again before it takes it. Without it, every waiter whose
 * `!busy` came true in the same pass of the SDK's condition check went ahead at once — two changes ran
 * side by side. Histories recorded before it replay the old way.
 */
export const serialPatch = 'serial-one-at-a-time';

/**
 * One change at a time inside a workflow: update handlers, clock watchers and steps run their writes
 * (state change, timeline activity, notifications) without interleaving. A free lock is taken at once,
 * in the same step as the call, so whoever calls first holds it.
 */
export class Serial {
  /** True while a change runs. */
  busy = false;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (patched(serialPatch)) {
      while (this.busy) await condition(() => !this.busy);
    } else {
      await condition(() => !this.busy);
    }
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}
