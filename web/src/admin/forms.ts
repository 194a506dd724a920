import type { FormInstance } from 'antd';
import { showProblemOnForm } from '../shared/problems';

/**
 * The admin forms leave validation to the API: its errors are shown beside their fields, and an error goes away
 * once the user changes that field's value (antd keeps errors set by `setFields` until a field is validated).
 */

/** The form's values when the API's errors were shown: a field whose value differs since is no longer in error. */
const shownFor = new WeakMap<FormInstance, unknown>();

/** showProblemOnForm, remembering the values the errors are about. */
export function showApiErrors(form: FormInstance, problem: unknown) {
  shownFor.set(form, JSON.parse(JSON.stringify(form.getFieldsValue(true) ?? {})));
  return showProblemOnForm(form, problem);
}

const at = (values: unknown, path: (string | number)[]) => path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), values);

/** A Form's `onFieldsChange`: clears a field's API error once its value changed (some inputs report unchanged values). */
export function clearStaleErrors(form: FormInstance) {
  return (changed: { name: (string | number)[] | string | number; errors?: string[] }[]) => {
    const shown = shownFor.get(form);
    const stale = changed.filter((f) => {
      const name = Array.isArray(f.name) ? f.name : [f.name];
      return f.errors?.length && JSON.stringify(at(shown, name)) !== JSON.stringify(form.getFieldValue(name));
    });
    if (stale.length) form.setFields(stale.map((f) => ({ name: f.name as (string | number)[], errors: [] })));
  };
}
