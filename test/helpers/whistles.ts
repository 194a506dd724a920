import type { WorkflowHandle } from '@temporalio/client';
import { whistleWorkflowId } from '../../temporal/workflow-ids';
import type { Actor, Command } from '../../workflows/shared/messages';
import type { whistleWorkflow } from '../../workflows/whistle/workflow';
import {
  blowWhistleUpdate,
  type DepartmentCommand,
  type WhistleBlown,
  type WhistleRequest,
  type WhistleRules,
  type WhistleState,
} from '../../workflows/whistle/messages';
import { act, type CaseHandle } from './cases';
import type { Stack } from './stack';

export type WhistleHandle = WorkflowHandle<typeof whistleWorkflow>;

export const supervisorActor: Actor = { id: 'chen', role: 'supervisor' };

/** Deadlines counted in seconds (goals in minutes), so a test sees reminders and misses quickly. */
export const drillRules = (checkInSeconds: number, reportSeconds: number, ratingWindowSeconds = 3600): WhistleRules => ({
  urgency: 'drill',
  checkInGoal: checkInSeconds / 60,
  checkInUnit: 'minutes',
  reportGoal: reportSeconds / 60,
  reportUnit: 'minutes',
  ratingWindowHours: ratingWindowSeconds / 3600,
});

/** Pinggu's rule for urgent whistles: check in within 30 minutes. */
export const urgentRules: WhistleRules = { urgency: 'urgent', checkInGoal: 30, checkInUnit: 'minutes', reportGoal: 24, reportUnit: 'hours', ratingWindowHours: 360 };

export const whistleRequest = (departments: string[], lead: string, rules: WhistleRules = urgentRules, extra: Partial<WhistleRequest> = {}): WhistleRequest => ({
  reason: 'prominent-problem',
  summary: 'Blocked manhole at Building 5 overflowing into the courtyard',
  location: 'Building 5, north gate',
  departments,
  lead,
  subdistrictId: 'xinjiekou',
  rules,
  ...extra,
});

/** Blows a whistle from a case and returns the whistle workflow's handle. */
export async function blow(stack: Stack, h: CaseHandle, request: WhistleRequest, actor?: Actor): Promise<{ blown: WhistleBlown; w: WhistleHandle }> {
  const blown = (await act(h, blowWhistleUpdate, request, actor)) as unknown as WhistleBlown;
  return { blown, w: stack.client.workflow.getHandle(whistleWorkflowId(blown.whistleId)) };
}

/** A department user's actor and the command it sends (the API fills both from the token). */
export const department = (departmentId: string): Actor => ({ id: `${departmentId}-duty`, role: 'department' });

export function asDepartment<T extends object>(w: WhistleHandle, update: { name: string }, departmentId: string, body: T = {} as T): Promise<WhistleState> {
  const cmd: DepartmentCommand<T> = { ...body, actor: department(departmentId), departmentId };
  return w.executeUpdate(update as never, { args: [cmd] as never }) as Promise<WhistleState>;
}

export function asSupervisor<T extends object>(w: WhistleHandle, update: { name: string }, body: T, actor: Actor = supervisorActor): Promise<WhistleState> {
  return w.executeUpdate(update as never, { args: [{ ...body, actor } as Command<T>] as never }) as Promise<WhistleState>;
}

export const callOf = (s: WhistleState, departmentId: string) => s.calls.find((c) => c.departmentId === departmentId)!;
