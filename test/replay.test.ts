import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { caseWorkflowId } from '../temporal/client';
import { dataConverterFor } from '../temporal/codec';
import { caseWorkflow } from '../workflows/case/workflow';
import { caseStateQuery } from '../workflows/case/messages';
import { caseInput } from './helpers/fixtures';
import { historiesDir } from './helpers/histories';
import { eventually, testPayloadKeys, useStack, workflowBundle } from './helpers/stack';

/** Recorded histories carry plain payloads (before encryption) or ones under the fixed test key. */
const dataConverter = dataConverterFor(testPayloadKeys);

/**
 * Replays recorded case histories against today's workflow code. A change that would break running
 * cases (non-determinism) fails here; such a change belongs behind `patched()`.
 * Record the histories anew with RECORD_HISTORIES=1 npm test (tests call keepHistory); never remove
 * case-opened.json, the walking skeleton's history, which guards the six-stages patch.
 */

/**
 * Renames the first activity of a history: a scheduled activity's type or, since the local-writes patch,
 * the type in a local activity's marker (its JSON `data` payload).
 */
function renameFirstActivity(history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>, name: string): void {
  const first = history.events?.find(
    (e) => e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  );
  const scheduled = first?.activityTaskScheduledEventAttributes;
  if (scheduled) {
    scheduled.activityType = { name };
    return;
  }
  const payload = first!.markerRecordedEventAttributes!.details!.data!.payloads![0]!;
  const data = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { activity_type: string };
  expect(data.activity_type).toEqual(expect.any(String));
  payload.data = Buffer.from(JSON.stringify({ ...data, activity_type: name }));
}

/** Every committed history; each new path recorded adds some, so the replay's time limit grows with them. */
const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
/** A history replays in well under a second alone; a loaded 2-core CI machine has taken ten times that. */
const replayTimeoutMs = Math.max(60_000, files.length * 5_000);

describe('replay of recorded case histories', () => {
  it('replays every committed history without non-determinism', async () => {
    expect(files.length).toBeGreaterThan(0);
    const histories = files.map((f) => ({ workflowId: f, history: JSON.parse(fs.readFileSync(path.join(historiesDir, f), 'utf8')) as unknown }));
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, histories)) results.push(r);
    expect(results).toHaveLength(files.length);
    for (const r of results) expect({ workflowId: r.workflowId, error: r.error?.message }).toEqual({ workflowId: r.workflowId, error: undefined });
  }, replayTimeoutMs);

  describe('a fresh history from the dev server', () => {
    const { stack } = useStack();

    it('replays, and the replayer does detect a change of workflow code', async () => {
      const caseId = 'QG-20261123-0501';
      const handle = await stack.client.workflow.start(caseWorkflow, {
        taskQueue: stack.temporal.taskQueue,
        workflowId: caseWorkflowId(caseId),
        args: [caseInput(caseId, { resident: { name: 'Test Resident' } })],
      });
      await eventually(async () => (await handle.query(caseStateQuery)).recorded, 20_000, 'the case to be recorded');
      const history = await handle.fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, history, handle.workflowId);
      // Sanity: a history whose first activity differs must fail the replay (the check can fail).
      const tampered = structuredClone(history);
      renameFirstActivity(tampered, 'somethingElse');
      await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, tampered, handle.workflowId)).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
    });
  });
});
