import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Test-only workflow code: a deploy that broke determinism. Bundled with ./workflows as a workflow
 * interceptor module (test/supervision-workflow-task.test.ts), it starts every workflow with a timer the
 * deployed code never had. New workflows run fine; a running one replayed by this code issues a command
 * its history does not have, and core fails its workflow task with a non-determinism error.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        await sleep(1);
        return next(input);
      },
    },
  ],
});
