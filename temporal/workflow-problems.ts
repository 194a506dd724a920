import { coresdk } from '@temporalio/proto';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { workflowProblems } from '../db/schema';
import { failureText } from './problems';

/**
 * Supervision's "workflow task failing": the worker notes every workflow task of a workflow that it fails
 * (workflow_problems, activity_id and activity_type `workflow-task`, one row per workflow while its tasks
 * keep failing) and removes the note once a task of that workflow completes again. The stuck query lists
 * the notes with enough attempts (api/supervision/stuck.ts). Temporal 1.29 has no TemporalReportedProblems
 * search attribute to ask instead, and asking Temporal to describe every workflow is what this avoids.
 *
 * Where the worker learns of it: a subclass of the SDK's Worker (its protected `createWorkflow` and
 * `handleActivation`, typed in @temporalio/worker 1.24's declarations), because neither a workflow
 * interceptor nor a sink can see every failure: the workflow's own error surfaces only after its
 * interceptors have run (concludeActivation throws before the internals interceptor is called), and
 * non-determinism is found by core after the workflow code has completed its activation.
 *
 * - Failed: an activation the workflow code completes with a failure (an error that is not a Temporal
 *   failure, thrown in the workflow, a signal or update handler or a condition; a workflow type the bundle
 *   lacks; a determinism violation lang finds), a workflow the worker cannot create, and the evictions core
 *   asks for after finding non-determinism (or a fatal error) in a task. Each failed task counts one attempt.
 *   Core reports only the first failed attempt to the server and lets later ones time out (the workflow task
 *   timeout, 10 s by default): the second attempt follows at once, later ones about 10 s apart. The server's
 *   own count is describe's pendingWorkflowTask.attempt (the reset route reads it).
 * - Completed: the first activation with new work (not replaying history, not only queries) that the
 *   workflow code completes. Core finds non-determinism while history is replayed, so by the time new work
 *   is activated the task is past it. A workflow that failed was evicted, so its next task on any worker replays it
 *   from history: the note is removed on that worker's first success after a replay (one keyed delete, next
 *   to a whole replay), or on any success of a workflow this worker noted itself. Workflows running
 *   healthily from the worker's cache cost nothing.
 * - Not seen: failures before a task reaches the workflow code (history that cannot be fetched,
 *   a worker that crashes inside the task), tasks that time out on a worker that is not running, and
 *   workflows of a task queue no noting worker polls. The note's attempt counts the failures this
 *   service's workers saw in a row, not the server's attempt count.
 *
 * Best effort, like the activities' notes: when the database is what fails, the log has it.
 */

/** activity_id and activity_type of a workflow-task note (the stuck query tells it apart by the type). */
export const workflowTaskNote = 'workflow-task';

/** A note no failure renewed for this long is stale: a new failure starts counting anew. */
const staleAfter = sql`interval '1 hour'`;

const oneLine = (s: string) => s.split('\n', 1)[0]!.trim();

/**
 * The words of core's eviction: its message is the failure in Rust's debug notation (with the failure's
 * details, payloads included, where it has any); only the failure's own message is kept.
 */
function evictionWords(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  return inner === undefined ? oneLine(message.split(' { ', 1)[0]!) : oneLine(inner.replace(/\\(.)/g, '$1'));
}

/** The notes of one worker: writes in order per workflow, never awaited by the workflow task itself. */
export class WorkflowTaskNotes {
  /** Workflows this worker noted and has not seen complete a task since. */
  private readonly noted = new Set<string>();
  /** Each workflow's writes, chained so that a note and its removal never cross. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log?: Logger,
  ) {}

  /** A workflow task of `workflowId` failed with `failure` (already words, see failureText). */
  failed(workflowId: string, failure: string): void {
    this.noted.add(workflowId);
    const now = new Date();
    this.write(workflowId, 'not recorded', (db) =>
      db
        .insert(workflowProblems)
        .values({ workflowId, activityId: workflowTaskNote, activityType: workflowTaskNote, local: false, attempt: 1, lastFailure: failure, firstFailedAt: now, lastFailedAt: now })
        .onConflictDoUpdate({
          target: [workflowProblems.workflowId, workflowProblems.activityId],
          set: {
            attempt: sql`CASE WHEN ${workflowProblems.lastFailedAt} < excluded.last_failed_at - ${staleAfter} THEN 1 ELSE ${workflowProblems.attempt} + 1 END`,
            firstFailedAt: sql`CASE WHEN ${workflowProblems.lastFailedAt} < excluded.last_failed_at - ${staleAfter} THEN excluded.first_failed_at ELSE ${workflowProblems.firstFailedAt} END`,
            lastFailure: failure,
            lastFailedAt: now,
          },
        }),
    );
  }

  /**
   * A workflow task of `workflowId` completed. `replayed`: the first since the worker rebuilt the workflow
   * from history (a note another worker wrote may exist); otherwise only a workflow noted here is looked at.
   */
  completed(workflowId: string, replayed: boolean): void {
    if (!this.noted.delete(workflowId) && !replayed) return;
    this.write(workflowId, 'not cleared', (db) =>
      db.delete(workflowProblems).where(and(eq(workflowProblems.workflowId, workflowId), eq(workflowProblems.activityId, workflowTaskNote))),
    );
  }

  /** Resolves once every write asked for so far has been made (or has failed and been logged). */
  async settled(): Promise<void> {
    while (this.writes.size > 0) await Promise.all(this.writes.values());
  }

  private write(workflowId: string, failedWords: string, fn: (db: Db) => PromiseLike<unknown>): void {
    const next = (this.writes.get(workflowId) ?? Promise.resolve())
      .then(() => fn(this.db))
      .then(
        () => undefined,
        (e: unknown) => this.log?.warn({ workflowId, err: failureText(e) }, `workflow task problem ${failedWords}`),
      );
    this.writes.set(workflowId, next);
    void next.then(() => {
      if (this.writes.get(workflowId) === next) this.writes.delete(workflowId);
    });
  }
}

type Failure = coresdk.workflow_completion.IFailure['failure'];

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The failure lang completed an activation with, in words: its type and message, no stack, no details. A
 * plain Error's failure carries no type; its name is read off the stack's "Name: message" line.
 */
function langFailureText(f: Failure | undefined): string {
  const message = f?.message ?? 'the workflow code failed';
  const named = f?.stackTrace ? new RegExp(`^([A-Za-z_$][\\w$]*): ${escaped(message.split('\n', 1)[0]!.slice(0, 100))}`, 'm').exec(f.stackTrace)?.[1] : undefined;
  return failureText({ type: f?.applicationFailureInfo?.type || undefined, name: named ?? 'Error', message });
}

const EvictionReason = coresdk.workflow_activation.RemoveFromCache.EvictionReason;
/** Evictions by core for a failed task that lang did not complete with a failure itself. */
const coreFailures = new Map<number, string>([
  [EvictionReason.NONDETERMINISM, 'NondeterminismError'],
  [EvictionReason.FATAL, 'WorkflowTaskFatalError'],
]);

type Activation = coresdk.workflow_activation.IWorkflowActivation;
const onlyQueries = (a: Activation) => (a.jobs ?? []).length > 0 && (a.jobs ?? []).every((j) => j.queryWorkflow != null);
const initialWorkflowId = (a: Activation) => a.jobs?.find((j) => j.initializeWorkflow)?.initializeWorkflow?.workflowId ?? undefined;

/**
 * Worker.create for a worker that tells `notes` of its workflows' failed and completed workflow tasks.
 * (A class per call: Worker.create constructs `this`, and the notes are the worker's own.)
 */
export function createNotingWorker(options: WorkerOptions, notes: WorkflowTaskNotes): Promise<Worker> {
  class NotingWorker extends Worker {
    /** Runs until shut down, then lets the last notes be written (before the caller closes the database). */
    override async run(): Promise<void> {
      try {
        await super.run();
      } finally {
        await notes.settled();
      }
    }

    protected override async createWorkflow(...args: Parameters<Worker['createWorkflow']>): ReturnType<Worker['createWorkflow']> {
      const created = await super.createWorkflow(...args);
      const { workflowId } = created.info;
      const vm = created.workflow;
      const activate = vm.activate.bind(vm);
      /** Undefined until the first activation tells whether the workflow is being rebuilt from history. */
      let replayed: boolean | undefined;
      vm.activate = async (activation) => {
        const completion = await activate(activation);
        replayed ??= Boolean(activation.isReplaying);
        if (completion.failed) notes.failed(workflowId, langFailureText(completion.failed.failure));
        else if (!activation.isReplaying && !onlyQueries(activation)) {
          notes.completed(workflowId, replayed);
          replayed = false;
        }
        return completion;
      };
      return created;
    }

    protected override async handleActivation(...args: Parameters<Worker['handleActivation']>): ReturnType<Worker['handleActivation']> {
      const [workflow, { activation }] = args;
      // Read before the SDK takes the eviction job out of the activation.
      const evicted = activation.jobs.find((j) => j.removeFromCache)?.removeFromCache;
      const coreFailure = evicted ? coreFailures.get(evicted.reason ?? 0) : undefined;
      if (coreFailure && workflow) notes.failed(workflow.info.workflowId, failureText({ name: coreFailure, message: evictionWords(evicted?.message ?? '') }));
      const workflowId = workflow ? undefined : initialWorkflowId(activation);
      const result = await super.handleActivation(...args);
      // No workflow came of an initializing activation: the worker could not create it (the task failed).
      if (workflowId && !result.state && !result.output.close && result.output.completion) {
        const completion = coresdk.workflow_completion.WorkflowActivationCompletion.decodeDelimited(result.output.completion);
        if (completion.failed) notes.failed(workflowId, langFailureText(completion.failed.failure));
      }
      return result;
    }
  }
  return NotingWorker.create(options);
}
