import { sql } from 'drizzle-orm';
import { Counter, Gauge } from 'prom-client';
import { defaultThresholds, stuckReasons } from '../supervision/reasons';
import { countStuckByReason } from '../supervision/stuck';
import { rowsOf } from '../../db/rows';
import type { Collector } from './collectors';

/**
 * Supervision's figures (issue 14): stuck cases by reason, from the stuck query itself (so /metrics and
 * GET /api/supervision/stuck never disagree), and supervisors' interventions counted on the timeline.
 */

/**
 * The interventions counted, by the `action` label: the timeline event each one writes. `replace-department`
 * is a whistle's dispute decided by replacing the department (`whistle.decided` with decision replace).
 * db/schema.ts's case_events_interventions_idx has these types in its predicate, literally (migration 0006):
 * a type added here needs it widened too, or the count reads the whole timeline.
 */
export const interventionActions = {
  urge: 'case.urged',
  reassign: 'case.reassigned',
  'reassign-task': 'task.reassigned',
  withdraw: 'case.withdrawn',
  extend: 'commitment.extended',
  reset: 'case.reset',
  retry: 'delivery.retried',
  'replace-department': 'whistle.decided',
} as const;
export type InterventionAction = keyof typeof interventionActions;

/** The index predicate's list, as SQL text: constants of this file only, never input. */
export const interventionTypesSql = [...new Set(Object.values(interventionActions))].map((t) => `'${t}'`).join(', ');

export const supervisionCollector: Collector = (registry, { database, stuckThresholds }) => {
  const { db } = database;

  new Gauge({
    name: 'stationflow_stuck_cases',
    help: 'Cases stuck for a reason (as GET /api/supervision/stuck finds them, with the configured STUCK_* thresholds), each case once per reason; 0 for a reason without any',
    labelNames: ['reason'] as const,
    registers: [registry],
    async collect() {
      const counts = await countStuckByReason(db, new Date(), { ...defaultThresholds, ...stuckThresholds });
      this.reset();
      for (const reason of stuckReasons) this.set({ reason }, counts.get(reason) ?? 0);
    },
  });

  new Counter({
    name: 'stationflow_interventions_total',
    help: "Supervisors' interventions on the timeline, by action: urge (督办), reassign (the case's owner), reassign-task, withdraw, extend (a commitment's deadline), reset, replace-department (a whistle's disputed department replaced); the timeline only grows, so use increase()",
    labelNames: ['action'] as const,
    registers: [registry],
    async collect() {
      // Literal predicates, as the partial index's, so PostgreSQL uses it in every plan.
      const rows = await rowsOf<{ type: string; n: unknown }>(
        db,
        sql`SELECT type, count(*)::int AS n FROM case_events
          WHERE type IN (${sql.raw(interventionTypesSql)}) AND (type <> 'whistle.decided' OR data->>'decision' = 'replace')
          GROUP BY type`,
      );
      const counted = new Map(rows.map((r) => [r.type, Number(r.n)]));
      // A counter set from the table: prom-client counters only add, so start from zero each scrape.
      this.reset();
      for (const [action, type] of Object.entries(interventionActions)) this.inc({ action }, counted.get(type) ?? 0);
    },
  });
};
