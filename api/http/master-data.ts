import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { departments, partners, serviceItems } from '../../db/schema';
import type { TransferTarget } from '../../workflows/case/messages';
import type { Assignee } from '../../workflows/shared/messages';
import type { ProblemExtras } from './problems';
import { problem } from './problems';

/**
 * References from a request body into master data, checked at the edge: a task assigned to a partner
 * names an active partner, one assigned to a department (or a transfer to one) names a department.
 * Unknown ones are a 422 with a pointer to each.
 */

type FieldError = NonNullable<ProblemExtras['errors']>[number];

async function knownIds(db: Db, kind: 'partner' | 'department', ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows =
    kind === 'partner'
      ? await db.select({ id: partners.id, name: partners.name }).from(partners).where(and(inArray(partners.id, ids), eq(partners.active, true)))
      : await db.select({ id: departments.id, name: departments.name }).from(departments).where(inArray(departments.id, ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export function unknownReferences(errors: FieldError[]) {
  return problem(422, `Unknown references: ${errors.map((e) => `${e.pointer.slice(2)} ${e.detail}`).join('; ')}`, {
    type: 'unknown-reference',
    errors,
  });
}

/** Every partner or department a plan's tasks are assigned to must exist (partners: and be active). */
export async function assertAssigneesExist(db: Db, tasks: { assignee: Assignee }[], pointerOf = (i: number) => `#/tasks/${i}/assignee`): Promise<void> {
  const idsOf = (kind: Assignee['kind']) => [...new Set(tasks.filter((t) => t.assignee.kind === kind).map((t) => t.assignee.id))];
  const [activePartners, knownDepartments] = await Promise.all([knownIds(db, 'partner', idsOf('partner')), knownIds(db, 'department', idsOf('department'))]);
  const errors = tasks.flatMap((t, i): FieldError[] => {
    const { kind, id } = t.assignee;
    if (kind === 'partner' && !activePartners.has(id)) return [{ pointer: `${pointerOf(i)}/id`, detail: `is not an active partner (${id})` }];
    if (kind === 'department' && !knownDepartments.has(id)) return [{ pointer: `${pointerOf(i)}/id`, detail: `is not a department (${id})` }];
    return [];
  });
  if (errors.length) throw unknownReferences(errors);
}

/** A transfer target as the workflow receives it: a department must exist, and its name is filled in when absent. */
export async function resolveTransferTarget(
  db: Db,
  target: { kind: 'department' | 'agency'; id?: string; name?: string } | undefined,
  pointer: string,
): Promise<TransferTarget | undefined> {
  if (!target) return undefined;
  if (target.kind === 'agency') return { kind: 'agency', id: target.id, name: target.name ?? '' };
  const known = await knownIds(db, 'department', target.id ? [target.id] : []);
  const name = target.id ? known.get(target.id) : undefined;
  if (name === undefined) throw unknownReferences([{ pointer: `${pointer}/id`, detail: `is not a department (${target.id ?? 'no id'})` }]);
  return { kind: 'department', id: target.id, name: target.name ?? name };
}

/**
 * Departments named in a request (each with its pointer) that are unknown, or of another subdistrict than
 * `subdistrictId` (when one is given): a field error each. Whistles call only departments of their own subdistrict.
 */
export async function departmentErrors(db: Db, subdistrictId: string | undefined, refs: { pointer: string; id: string }[]): Promise<FieldError[]> {
  const ids = [...new Set(refs.map((r) => r.id))];
  const rows = ids.length ? await db.select({ id: departments.id, subdistrictId: departments.subdistrictId }).from(departments).where(inArray(departments.id, ids)) : [];
  const known = new Map(rows.map((r) => [r.id, r.subdistrictId]));
  return refs.flatMap(({ pointer, id }): FieldError[] => {
    const of = known.get(id);
    if (of === undefined) return [{ pointer, detail: `is not a department (${id})` }];
    if (subdistrictId !== undefined && of !== subdistrictId) return [{ pointer, detail: `is a department of subdistrict ${of}, not of ${subdistrictId} (${id})` }];
    return [];
  });
}

/** Catalogue codes named in a request (each with its pointer) that are not in the service catalogue: a field error each. */
export async function serviceCodeErrors(db: Db, refs: { pointer: string; code: string }[]): Promise<FieldError[]> {
  const codes = [...new Set(refs.map((r) => r.code))];
  const rows = codes.length ? await db.select({ code: serviceItems.code }).from(serviceItems).where(inArray(serviceItems.code, codes)) : [];
  const known = new Set(rows.map((r) => r.code));
  return refs.flatMap(({ pointer, code }): FieldError[] => (known.has(code) ? [] : [{ pointer, detail: `is not in the service catalogue (${code})` }]));
}
