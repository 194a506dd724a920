import type { CatalogueSnapshot, CommitmentRules, OpenCaseInput } from '../../workflows/case/messages';

/** A ready-to-handle affair with no documents (legal consultation in the demo catalogue). */
export const handleNowItem: CatalogueSnapshot = {
  name: 'Legal consultation',
  handlingMode: 'handle-now',
  requiredDocuments: [],
  needsHomeVisit: false,
  issuesCertificate: false,
};

/** The demo catalogue's general class: 24 h to respond, 7 working days to resolve. */
export const generalRules: CommitmentRules = {
  responseGoal: 24,
  responseUnit: 'hours',
  resolutionGoal: 7,
  resolutionUnit: 'working-days',
  escalateOnBreach: false,
  callBackAfterHours: 72,
  reopenWindowHours: 360,
};

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
  catalogue: handleNowItem,
  rules: generalRules,
  ...overrides,
});

/** The elderly care subsidy: documents, a home visit and a certificate (demo catalogue, complex class). */
export const subsidyCase: Partial<OpenCaseInput> = {
  serviceCode: 'elderly-care-subsidy',
  category: 'government',
  deadlineClass: 'complex',
  catalogue: {
    name: 'Elderly care subsidy application',
    handlingMode: 'needs-documents',
    requiredDocuments: ['ID card', 'household register', 'bank card'],
    needsHomeVisit: true,
    issuesCertificate: true,
  },
};
export const subsidyDocuments = ['ID card', 'household register', 'bank card'];
export const homeVisit = { date: '2026-11-24', staff: ['wang', 'li'], notes: 'Lives alone on the 5th floor' };
