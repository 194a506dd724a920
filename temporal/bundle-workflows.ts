import fs from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';

/**
 * `node --import tsx temporal/bundle-workflows.ts <file>`: writes the workflow bundle (./workflows, webpack)
 * to <file>. createWorker runs it as a short-lived child process, so that webpack's allocations never
 * enter the worker's own memory (they stayed in its RSS after the bundle was built).
 */
const out = process.argv[2];
if (!out) throw new Error('usage: bundle-workflows.ts <output file>');
void bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') }).then(({ code }) => fs.writeFileSync(out, code));
