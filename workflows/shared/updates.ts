import type { UpdateDefinition } from '@temporalio/common';
import { setHandler } from '@temporalio/workflow';

/** Runs one change at a time (the workflow's serial lock). */
export type Lock = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Registers one update of a workflow. `check` runs twice: in the validator, so a refused update never
 * enters the history, and again when the update's turn in the lock comes, since a queued update meets
 * the state as it is then; `apply` makes the change. `admit` is a check for the validator alone (one
 * that must not re-run when a recorded history replays). The update answers with `answer(done)` where
 * given, else with the workflow's settled state.
 */
export interface UpdateRegistrar<S, Run> {
  <A>(def: UpdateDefinition<S, [A]>, check: (state: S, a: A) => void, apply: (run: Run, a: A) => Promise<void>, admit?: (a: A) => void): void;
  <A, R, Out>(
    def: UpdateDefinition<Out, [A]>,
    check: (state: S, a: A) => void,
    apply: (run: Run, a: A) => Promise<R>,
    admit: ((a: A) => void) | undefined,
    answer: (done: R) => Promise<Out>,
  ): void;
}

/** The one way a workflow registers its updates: validator, then the lock, check, apply, answer. */
export function updateRegistrar<S, Run extends { readonly state: S }>(run: Run, lock: Lock, settled: () => S | Promise<S>): UpdateRegistrar<S, Run> {
  return <A, R, Out>(
    def: UpdateDefinition<Out, [A]>,
    check: (state: S, a: A) => void,
    apply: (run: Run, a: A) => Promise<R>,
    admit?: (a: A) => void,
    answer?: (done: R) => Promise<Out>,
  ): void => {
    setHandler(
      def,
      async (a: A) => {
        const done = await lock(async () => {
          check(run.state, a);
          return await apply(run, a);
        });
        return answer ? answer(done) : (settled() as Out | Promise<Out>);
      },
      {
        validator: (a: A) => {
          admit?.(a);
          check(run.state, a);
        },
      },
    );
  };
}
