import { useState, type ReactNode } from 'react';
import { App, Form, Modal, type FormInstance } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from '../shared/i18n';
import { ProblemAlert, showProblemOnForm } from '../shared/problems';
import { beijing, dayjs } from '../shared/time';
import type { Dayjs } from 'dayjs';

/**
 * One action of the case page as a small form in a modal: submitted as it is (no client-side checks, so the
 * API's validation answers), each problem's field error beside its field, the rest above the form; on success
 * the case is fetched again and the modal closes.
 */

/** An openapi-fetch answer: its data, or the API's problem document thrown. */
export async function answered<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await call;
  if (!r.response.ok) throw r.error ?? { status: r.response.status, title: r.response.statusText };
  return r.data as T;
}

/** The case's queries (its view, its diagnostics): refetched after any action on it. */
export function useInvalidateCase(): () => Promise<void> {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ predicate: (q) => typeof q.queryKey[1] === 'string' && q.queryKey[1].startsWith('/api/cases/{id}') });
}

export function ActionModal({
  title,
  form,
  submit,
  onClose,
  children,
  testId,
}: {
  title: string;
  form: FormInstance;
  submit: (values: Record<string, unknown>) => Promise<unknown>;
  onClose: () => void;
  children: ReactNode;
  testId: string;
}) {
  const { t } = useTranslation('cases');
  const { message } = App.useApp();
  const invalidate = useInvalidateCase();
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  // Busy shows as a disabled button, not antd's loading look: after a refusal its loading icon's leave motion
  // could linger and leave the button washed out (below AA contrast) while the user corrects the field.
  async function onOk() {
    if (busy) return;
    setProblem(undefined);
    form.setFields(form.getFieldsError().map((f) => ({ name: f.name, errors: [] })));
    setBusy(true);
    try {
      await submit(form.getFieldsValue(true) as Record<string, unknown>);
      void message.success(t('casePage.form.done', { action: title }));
      await invalidate();
      onClose();
    } catch (err) {
      setProblem(showProblemOnForm(form, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal open title={title} onOk={onOk} onCancel={onClose} okButtonProps={{ disabled: busy, 'aria-busy': busy }} okText={t('common:submit')} cancelText={t('common:cancel')} width={640} data-testid={testId}>
      <ProblemAlert problem={problem} onClose={() => setProblem(undefined)} />
      <Form form={form} layout="vertical" name={testId} onFinish={onOk}>
        {children}
      </Form>
    </Modal>
  );
}

/** A date-time picker's value (wall time, read as Beijing time whatever the browser's zone) → ISO with +08:00. */
export function beijingIso(v: Dayjs | undefined | null): string | undefined {
  return v ? dayjs.tz(v.format('YYYY-MM-DDTHH:mm:00'), beijing).format() : undefined;
}

/** Now + `ms` as a picker's value: the Beijing wall time. */
export function beijingWall(ms = 0): Dayjs {
  return dayjs(dayjs(Date.now() + ms).tz(beijing).format('YYYY-MM-DDTHH:mm'));
}

/** A blank optional text is left out of the body. */
export function optional(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}


/** Kept for the supervisors' panels, which import it from here. */
export { nameOf } from './masterData';
