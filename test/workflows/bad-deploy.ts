import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { diagnoseUpdate } from '../../workflows/case/messages';

/**
 * Test-only workflow code: a "bad deploy" of the case workflow. Bundled with ./workflows as a workflow
 * interceptor module (test/supervision-workflow-task.test.ts), it makes the case workflow's diagnosis
 * handler throw a plain Error — a bug, not a Temporal failure — so the workflow task that handles a
 * diagnosis fails, attempt after attempt, while this bundle runs. Everything else works as deployed.
 * Deploying the real bundle again (or resetting the case to before the diagnosis) is the fix.
 */
export const brokenHandlerMessage = 'bad deploy: the diagnosis handler was shipped broken';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async handleUpdate(input, next) {
        if (input.name === diagnoseUpdate.name) throw new Error(brokenHandlerMessage);
        return next(input);
      },
    },
  ],
});
