/**
 * Workflow ids derive from case and whistle ids, so either workflow can always be found from its id.
 * Plain functions with no SDK imports: workflow code uses them too.
 */
export const caseWorkflowId = (caseId: string): string => `case-${caseId}`;
export const whistleWorkflowId = (whistleId: string): string => `whistle-${whistleId}`;
/** A case's n-th whistle: QG-20261123-0001-W1. */
export const whistleIdOf = (caseId: string, n: number): string => `${caseId}-W${n}`;
/** A notice pushed to a partner or department: one delivery workflow per notification id. */
export const deliveryWorkflowId = (notificationId: string): string => `notification-${notificationId}`;
