import type { OpenCaseInput } from '../../workflows/case-messages';

/** A case as the API would hand it to the workflow. */
export const caseInput = (caseId: string, overrides: Partial<OpenCaseInput> = {}): OpenCaseInput => ({
  caseId,
  stationId: 'qianggen',
  serviceCode: 'legal-consultation',
  category: 'life',
  deadlineClass: 'general',
  channel: 'walk-in',
  demand: 'Lease question',
  resident: { name: 'Zhao', phone: '13900000000' },
  openedBy: { id: 'wang', role: 'staff' },
  openedAt: '2026-11-23T01:00:00.000Z',
  ...overrides,
});
