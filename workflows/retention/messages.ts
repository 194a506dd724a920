import { whistleReasons } from '../whistle/messages';

/**
 * Retention (README "Security"): the personal data of cases closed longer than RETENTION_AFTER_CLOSE is
 * erased from the read model. Shared by the workflow, its activity, the schedule and the API; workflow code
 * imports this file, so it depends on nothing but plain values.
 */

/** What erased personal text reads: the resident's name, phone, address, the demand, notes, summaries. */
export const erasedMarker = '[erased]';

/** The schedule that starts the retention workflow (one per namespace and task queue's service). */
export const retentionScheduleId = 'stationflow-retention';
/** Its runs' workflow id (one run at a time: the schedule skips a run while one is still going). */
export const retentionWorkflowId = 'stationflow-retention';
export const retentionWorkflowType = 'retentionWorkflow';

/** How many closed cases one batch (one activity) looks at. */
export const retentionBatchSize = 100;

export interface RetentionInput {
  /** RETENTION_AFTER_CLOSE in milliseconds: cases closed before the run's start minus this are erased. */
  afterCloseMs: number;
  /** Cases per batch (default retentionBatchSize). */
  batchSize?: number;
  /** Set by continue-as-new: the run's cutoff, where it got to, and what it did so far. */
  carried?: { cutoff: string; after?: RetentionCursor; totals: RetentionTotals };
}

/** The last case a batch looked at: batches walk closed cases by (closedAt, id). */
export interface RetentionCursor {
  closedAt: string;
  id: string;
}

export interface RetentionTotals {
  /** Closed cases past the cutoff that were looked at. */
  scanned: number;
  /** Erased by this run. */
  erased: number;
  /** Past the cutoff but their workflow still runs (a reopened or late-evaluated case): left for a later run. */
  running: number;
  batches: number;
}

export interface RetentionBatchInput {
  /** ISO instant: cases closed before it are erased. */
  cutoff: string;
  after?: RetentionCursor;
  limit: number;
}

export interface RetentionBatchResult {
  scanned: number;
  erased: number;
  running: number;
  /** Where the next batch starts; absent when this batch was the last. */
  next?: RetentionCursor;
}

export interface RetentionResult extends RetentionTotals {
  cutoff: string;
}

/**
 * Keys of timeline-event and notice data that hold free text (a person's words, which may quote the resident):
 * their strings are erased, the rest of the data (ids, codes, times, counts, ratings) stays.
 */
export const freeTextKeys: ReadonlySet<string> = new Set([
  'demand',
  'note',
  'notes',
  'findings',
  'causes',
  'resources',
  'summary',
  'reason',
  'comment',
  'title',
  'goals',
  'location',
  'address',
]);

/** Codes (not text) that may stand under a free-text key: a whistle's reason. */
const codes: ReadonlySet<string> = new Set(whistleReasons);

/**
 * The data with every string under a free-text key (at any depth: a home visit's notes, a plan's task titles,
 * its goals) replaced by the marker; codes, ids, times and numbers stay. Returns the same object when
 * nothing changed, so a second erasure is a no-op.
 */
export function eraseFreeText<T>(data: T): T {
  const walk = (value: unknown, erase: boolean): unknown => {
    if (typeof value === 'string') return erase && value !== erasedMarker && !codes.has(value) ? erasedMarker : value;
    if (Array.isArray(value)) {
      const items = value.map((v) => walk(v, erase));
      return items.every((v, i) => v === value[i]) ? value : items;
    }
    if (value && typeof value === 'object') {
      let changed = false;
      const entries = Object.entries(value).map(([k, v]) => {
        const w = walk(v, erase || freeTextKeys.has(k));
        if (w !== v) changed = true;
        return [k, w] as const;
      });
      return changed ? Object.fromEntries(entries) : value;
    }
    return value;
  };
  return walk(data, false) as T;
}
