/**
 * The case page's parts for supervisors and admins: diagnostics (why a case is stuck) and the interventions
 * (extend a commitment, urge, reassign, withdraw). Rendered by CasePage for those roles.
 * (Placeholder until built.)
 */
export function CaseDiagnostics(_props: { caseId: string }) {
  return null;
}

export function CaseInterventions(_props: { caseId: string; onDone?: () => void }) {
  return null;
}
