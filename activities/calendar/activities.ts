import { ApplicationFailure } from '@temporalio/common';
import { calendarVersion, isRealDate, readCalendar } from '../../db/calendar';
import type { Db } from '../../db/client';
import type { CalendarDayKind } from '../../db/schema';
import type { ClockSchedule, GoalUnit } from '../../workflows/shared/messages';

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

export interface MeasureClockInput {
  unit: GoalUnit;
  from: string;
  to: string;
}

/**
 * Days are counted in Asia/Shanghai, which is UTC+8 all year: China has had no daylight saving time
 * since 1991, so a fixed offset is exact for every date this service deals with.
 */
export const shanghaiOffsetMs = 8 * 3_600_000;
export const dayMs = 86_400_000;
/** The furthest a clock may reach; beyond it a computation stops with an error instead of looping on. */
export const maxSpanYears = 50;
const maxSpanDays = maxSpanYears * 366;

/** Days since 1970-01-01 of the Shanghai calendar day an instant falls on. */
const dayIndexOf = (instantMs: number) => Math.floor((instantMs + shanghaiOffsetMs) / dayMs);
/** The instant a Shanghai day (by index) begins: its local midnight. */
const dayStartOf = (dayIndex: number) => dayIndex * dayMs - shanghaiOffsetMs;
const dateOf = (dayIndex: number) => new Date(dayIndex * dayMs).toISOString().slice(0, 10);
/** The Shanghai calendar year of an instant. */
export const shanghaiYearOf = (instantMs: number) => new Date(instantMs + shanghaiOffsetMs).getUTCFullYear();

function parseInstant(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`${what} is not an ISO date-time: ${JSON.stringify(iso)}`);
  return ms;
}

/**
 * China's working-day calendar and the clock arithmetic on it. Pure: built from the stored
 * exceptions (holidays, adjusted working days) and the list of years with official data.
 *
 * Working time: for 'working-days' a clock's milliseconds are working time. Every instant that falls
 * on a working day (a Shanghai calendar day, 00:00–24:00) counts, every other instant does not; one
 * working day is 24 h of working time. So N working days from an instant S end where N × 24 h of
 * working time has passed:
 *  - opened Monday 10:00 with 1 working day → due Tuesday 10:00;
 *  - opened Saturday 15:00 (not a working day) with 1 working day → due Tuesday 00:00, Shanghai time:
 *    the weekend does not count, Monday counts in full.
 * A deadline that ends exactly where a working day ends is that midnight (the earliest instant by
 * which the time has passed), not the start of the next working day.
 * 'minutes', 'hours' and 'days' are plain calendar time: the clock's milliseconds are elapsed time.
 *
 * Years without official data fall back to the weekday rule (Monday–Friday working); a deadline
 * reaching such a year is provisional (see `reachesUnofficialYear`).
 */
export class WorkingCalendar {
  private readonly exceptions: Map<string, CalendarDayKind>;
  private readonly official: Set<number>;

  constructor(days: Iterable<{ date: string; kind: CalendarDayKind }>, officialYears: Iterable<number>) {
    this.exceptions = new Map([...days].map((d) => [d.date, d.kind]));
    this.official = new Set(officialYears);
  }

  /** Is this Shanghai calendar day (YYYY-MM-DD) a working day? */
  isWorkingDay(date: string): boolean {
    if (!isRealDate(date)) throw new Error(`not a date (YYYY-MM-DD): ${JSON.stringify(date)}`);
    return this.isWorkingDayIndex(Date.parse(`${date}T00:00:00Z`) / dayMs);
  }

  /** Does the calendar hold the State Council's notice for this year? */
  hasOfficialData(year: number): boolean {
    return this.official.has(year);
  }

  /** An exception (holiday, adjusted working day) decides; otherwise Monday–Friday work, weekends do not. */
  private isWorkingDayIndex(dayIndex: number): boolean {
    const exception = this.exceptions.get(dateOf(dayIndex));
    if (exception) return exception === 'workday';
    const weekday = (((dayIndex + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 is Sunday
    return weekday !== 0 && weekday !== 6;
  }

  /** Clock time between two instants (epoch ms), in the unit's milliseconds; 0 when `to` is not after `from`. */
  measure(unit: GoalUnit, from: number, to: number): number {
    if (!(to > from)) return 0;
    if (unit !== 'working-days') return to - from;
    const first = dayIndexOf(from);
    const last = dayIndexOf(to);
    if (last - first > maxSpanDays) throw new Error(`cannot measure working time over more than ${maxSpanYears} years`);
    let total = 0;
    for (let day = first; day <= last; day++) {
      if (!this.isWorkingDayIndex(day)) continue;
      const start = Math.max(from, dayStartOf(day));
      const end = Math.min(to, dayStartOf(day + 1));
      if (end > start) total += end - start;
    }
    return total;
  }

  /** The earliest instant (epoch ms) by which `ms` of clock time has passed since `from`. */
  advance(unit: GoalUnit, from: number, ms: number): number {
    if (!Number.isFinite(from) || !Number.isFinite(ms)) throw new Error(`cannot advance ${ms} ms from ${from}: not finite numbers`);
    const remaining = Math.round(ms);
    if (remaining <= 0) return from;
    if (unit !== 'working-days') return from + remaining;
    let left = remaining;
    let at = from;
    const first = dayIndexOf(from);
    for (let day = first; day - first <= maxSpanDays; day++) {
      const end = dayStartOf(day + 1);
      if (this.isWorkingDayIndex(day)) {
        if (end - at >= left) return at + left;
        left -= end - at;
      }
      at = end;
    }
    throw new Error(`a clock of ${remaining} ms of working time from ${new Date(from).toISOString()} reaches beyond ${maxSpanYears} years`);
  }

  /**
   * Does any Shanghai day from `from` to `to` lie in a year without official data? `to` is an end:
   * a deadline at midnight of 1 January counts nothing of the new year, so that year is not reached.
   */
  reachesUnofficialYear(from: number, to: number): boolean {
    for (let year = shanghaiYearOf(from); year <= shanghaiYearOf(Math.max(from, to - 1)); year++) {
      if (!this.hasOfficialData(year)) return true;
    }
    return false;
  }

  /** A clock's deadline and warnings, (re)starting at `from` with `consumedMs` of its budget already used. */
  schedule(input: ScheduleClockInput): ClockSchedule {
    const from = parseInstant(input.from, 'from');
    const at = (share: number) => this.advance(input.unit, from, input.budgetMs * share - input.consumedMs);
    const due = at(1);
    const warning = (share: number) => (input.budgetMs * share - input.consumedMs > 0 ? new Date(at(share)).toISOString() : null);
    return {
      dueAt: new Date(due).toISOString(),
      warnings: { p50: warning(0.5), p75: warning(0.75) },
      provisional: input.unit === 'working-days' && this.reachesUnofficialYear(from, due),
    };
  }
}

/**
 * The stored calendar, cached per database handle. Each use checks a cheap fingerprint of the tables,
 * so an import made by another process (the API) is seen by the next computation.
 */
const cache = new WeakMap<Db, { version: string; calendar: WorkingCalendar }>();

export async function loadWorkingCalendar(db: Db): Promise<WorkingCalendar> {
  const version = await calendarVersion(db);
  const cached = cache.get(db);
  if (cached?.version === version) return cached.calendar;
  const { days, officialYears } = await readCalendar(db);
  const calendar = new WorkingCalendar(days, officialYears);
  cache.set(db, { version, calendar });
  return calendar;
}

/**
 * Arithmetic that cannot succeed (an unparsable time, a clock beyond 50 years) fails the activity for
 * good: a retry would fail the same way. Reading the database stays retryable.
 */
function computed<T>(compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'ClockArithmeticError');
  }
}

export function calendarActivities(db: Db) {
  return {
    async scheduleClock(input: ScheduleClockInput): Promise<ClockSchedule> {
      const calendar = await loadWorkingCalendar(db);
      return computed(() => calendar.schedule(input));
    },
    /** Clock time between two instants, in the unit's milliseconds. */
    async measureClock(input: MeasureClockInput): Promise<number> {
      const calendar = await loadWorkingCalendar(db);
      return computed(() => calendar.measure(input.unit, parseInstant(input.from, 'from'), parseInstant(input.to, 'to')));
    },
  };
}
