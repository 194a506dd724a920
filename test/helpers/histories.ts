import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { dataConverterFor } from '../../temporal/codec';
import { temporalExecutable } from '../../temporal/dev-server';
import { testPayloadKeys } from './payload-keys';
import { type Stack, workflowBundle } from './stack';

export const historiesDir = path.join(__dirname, '..', 'histories');

/**
 * Replays a case's history against today's workflow code at once, and with RECORD_HISTORIES=1 stores
 * it in test/histories (the CLI's JSON export), where CI replays it from then on. Histories of earlier code
 * stay: record a new path with RECORD_HISTORIES_SUFFIX so they guard the patches beside it.
 */
/** `runId`: one run of the workflow (e.g. the one that continued as new), as the handle was got for it; else its latest. */
export async function keepHistory(stack: Stack, handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  const history = await handle.fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter: dataConverterFor(testPayloadKeys) }, history, handle.workflowId);
  if (process.env.RECORD_HISTORIES !== '1') return;
  const cli = temporalExecutable();
  if (cli.type !== 'existing-path') throw new Error('recording histories needs the Temporal CLI in .tools/bin');
  const { stdout } = await promisify(execFile)(cli.path, ['workflow', 'show', '--address', stack.env.address, '-w', handle.workflowId, ...(runId ? ['-r', runId] : []), '-o', 'json'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  // RECORD_HISTORIES_SUFFIX records a new path beside the histories it must not replace (e.g. `.local-writes`).
  fs.writeFileSync(path.join(historiesDir, `${name}${process.env.RECORD_HISTORIES_SUFFIX ?? ''}.json`), stdout);
}
