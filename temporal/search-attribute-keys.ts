import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes on case workflows, for supervision queries in Temporal's visibility.
 * None of them carries personal data: no names, phone numbers, ID numbers or addresses.
 * Imported by workflow code, so this file depends on @temporalio/common only.
 */
export const searchAttributes = {
  stage: defineSearchAttributeKey('CaseStage', SearchAttributeType.KEYWORD),
  stationId: defineSearchAttributeKey('StationId', SearchAttributeType.KEYWORD),
  category: defineSearchAttributeKey('ServiceCategory', SearchAttributeType.KEYWORD),
  deadlineClass: defineSearchAttributeKey('DeadlineClass', SearchAttributeType.KEYWORD),
  nextDueAt: defineSearchAttributeKey('NextDueAt', SearchAttributeType.DATETIME),
  overdue: defineSearchAttributeKey('Overdue', SearchAttributeType.BOOL),
  lastProgressAt: defineSearchAttributeKey('LastProgressAt', SearchAttributeType.DATETIME),
  /** A notice to a partner or department reached nobody on any channel (a dead letter not yet retried through). */
  partnerUnreachable: defineSearchAttributeKey('PartnerUnreachable', SearchAttributeType.BOOL),
  /** On whistle workflows: the departments still awaited (to check in or report), by department id. */
  awaitedDepartments: defineSearchAttributeKey('AwaitedDepartments', SearchAttributeType.KEYWORD_LIST),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);
