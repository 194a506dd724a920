import type { Db } from '../db/client';
import type { GoalUnit } from '../workflows/case-messages';

/** Input of scheduleClock: place a clock's deadline and warnings from `from` on. */
export interface ScheduleClockInput {
  unit: GoalUnit;
  /** The whole goal, in the unit's milliseconds (working time for working days). */
  budgetMs: number;
  /** Already consumed by earlier running spells. */
  consumedMs: number;
  /** ISO time the clock (re)starts running. */
  from: string;
}

export interface ClockSchedule {
  dueAt: string;
  /** When 50 % and 75 % of the budget is consumed; null when already past at `from`. */
  warnings: { p50: string | null; p75: string | null };
  /** Some day up to dueAt lies in a year without official calendar data. */
  provisional: boolean;
}

export interface MeasureClockInput {
  unit: GoalUnit;
  from: string;
  to: string;
}

// PLACEHOLDER — replaced by the calendar implementation (working days from Postgres).
export function calendarActivities(_db: Db) {
  return {
    async scheduleClock(input: ScheduleClockInput): Promise<ClockSchedule> {
      const from = Date.parse(input.from);
      const at = (ms: number) => new Date(from + ms).toISOString();
      const left = (p: number) => input.budgetMs * p - input.consumedMs;
      return {
        dueAt: at(left(1)),
        warnings: { p50: left(0.5) > 0 ? at(left(0.5)) : null, p75: left(0.75) > 0 ? at(left(0.75)) : null },
        provisional: false,
      };
    },
    /** Clock time between two instants, in the unit's milliseconds. */
    async measureClock(input: MeasureClockInput): Promise<number> {
      return Math.max(0, Date.parse(input.to) - Date.parse(input.from));
    },
  };
}
