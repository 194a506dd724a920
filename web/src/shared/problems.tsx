import { Alert, Button, Result, type FormInstance } from 'antd';
import { useTranslation } from './i18n';
import { isProblem, type Problem } from './api';

/**
 * The API's problem+json documents, shown where the user acts: a field's error beside the field (its JSON
 * pointer `#/tasks/0/title` → the form item named ['tasks', 0, 'title']), everything else in an alert above
 * the form, and 403/404 as a clear page — never a blank one.
 */

/** JSON pointer `#/tasks/0/title` → form path ['tasks', 0, 'title']. */
export function pointerToPath(pointer: string): (string | number)[] {
  return pointer
    .replace(/^#?\//, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Puts each of a problem's field errors beside its field. Returns the errors that match no field of the form
 * (show them with <ProblemAlert>).
 */
export function showProblemOnForm(form: FormInstance, problem: unknown): Problem | undefined {
  if (!isProblem(problem)) return { detail: String(problem) };
  const fields = problem.errors ?? [];
  const known: { name: (string | number)[]; errors: string[] }[] = [];
  const unknown: { pointer: string; detail: string }[] = [];
  for (const e of fields) {
    const name = pointerToPath(e.pointer);
    // A field is known to the form when it was registered (rendered) under that name.
    const registered = form.getFieldsValue(true);
    let cursor: unknown = registered;
    let found = name.length > 0;
    for (const key of name) {
      if (cursor !== null && typeof cursor === 'object' && key in (cursor as Record<string | number, unknown>)) cursor = (cursor as Record<string | number, unknown>)[key];
      else {
        found = false;
        break;
      }
    }
    // Two errors of one field (too long, and a control character) are both shown beside it.
    const same = known.find((k) => k.name.join('/') === name.join('/'));
    if (found && same) same.errors.push(e.detail);
    else if (found) known.push({ name, errors: [e.detail] });
    else unknown.push(e);
  }
  form.setFields(known);
  if (known.length > 0 && unknown.length === 0) return undefined;
  return { ...problem, errors: unknown };
}

/** A problem that belongs to no field: its detail and any remaining field errors. */
export function ProblemAlert({ problem, onClose }: { problem: unknown; onClose?: () => void }) {
  const { t } = useTranslation('common');
  if (!problem) return null;
  const p: Problem = isProblem(problem) ? problem : { detail: String(problem) };
  const message = p.status === 403 ? t('problems.forbidden') : p.status === 404 ? t('problems.notFound') : p.status === 409 ? t('problems.conflict') : (p.title ?? t('problems.failed'));
  return (
    <Alert
      role="alert"
      type="error"
      showIcon
      closable={onClose !== undefined}
      onClose={onClose}
      style={{ marginBottom: 16 }}
      message={message}
      description={
        <>
          {p.detail && <div>{p.detail}</div>}
          {p.errors?.map((e) => (
            <div key={e.pointer}>
              <code>{e.pointer.replace(/^#\//, '')}</code> {e.detail}
            </div>
          ))}
        </>
      }
    />
  );
}

/** A whole page the user may not see, or that does not exist: a clear message and a way back. */
export function ProblemPage({ problem }: { problem: unknown }) {
  const { t } = useTranslation('common');
  const p: Problem = isProblem(problem) ? problem : { detail: String(problem) };
  const status = p.status === 403 ? '403' : p.status === 404 ? '404' : 'error';
  const title = p.status === 403 ? t('problems.forbidden') : p.status === 404 ? t('problems.notFound') : t('problems.failed');
  return (
    <Result
      status={status}
      title={title}
      subTitle={p.detail}
      extra={
        <Button type="primary" href="/console/">
          {t('problems.home')}
        </Button>
      }
    />
  );
}
