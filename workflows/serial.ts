import { condition } from '@temporalio/workflow';

/**
 * One change at a time inside a workflow: update handlers, clock watchers and steps run their writes
 * (state change, timeline activity, notifications) without interleaving.
 */
export class Serial {
  /** True while a change runs. */
  busy = false;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !this.busy);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}
