import { z } from 'zod';
import { maxSpanYears } from '../../activities/calendar/activities';

/**
 * The instants the API accepts from a client (a period's ends, a cursor's position): 2000-01-01 to 2101-01-01,
 * Asia/Shanghai — the years the working-day calendar covers. Outside it a date is a client's mistake (400), not
 * something to hand to the database (PostgreSQL cannot read JavaScript's six-digit or negative years).
 */
export const supportedRange = {
  from: new Date('2000-01-01T00:00:00+08:00'),
  to: new Date('2101-01-01T00:00:00+08:00'),
  description: 'between 2000-01-01 and 2101-01-01 (Asia/Shanghai)',
};

export const isSupportedInstant = (d: Date): boolean =>
  !Number.isNaN(d.getTime()) && d.getTime() >= supportedRange.from.getTime() && d.getTime() <= supportedRange.to.getTime();

/**
 * The range as JSON Schema patterns for the OpenAPI document (`format` alone admits any year): the years
 * whole, and for date-times only the years whose every instant lies in the range whatever the offset.
 */
const yearsPattern = (from: number, to: number) => `(?:${Array.from({ length: to - from + 1 }, (_, i) => from + i).join('|')})`;
const monthDay = '-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])';
const timeOfDay = 'T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:Z|[+-](?:0\\d|1[0-3]):[0-5]\\d)';

/** A query parameter: a real calendar date (00:00 Asia/Shanghai) or a date-time with a time zone, within the supported range. */
export const QueryInstant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO date YYYY-MM-DD (00:00 Asia/Shanghai) or a date-time with a time zone',
  })
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00+08:00` : v))
  .refine(isSupportedInstant, { message: `must be ${supportedRange.description}` })
  .meta({ pattern: `^${yearsPattern(2001, 2099)}${monthDay}(?:${timeOfDay})?$` });

/* ---------- date-times and dates in request bodies ---------- */

/** The furthest ahead a deadline may lie: what a working-day clock can count (activities/calendar.ts). */
export const deadlineHorizonYears = maxSpanYears;

const addYears = (ms: number, years: number) => {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
};

/**
 * A deadline in a request body (a task's due time, an extension's target): RFC 3339 with a time zone (Z or
 * ±hh:mm), a real calendar day and time (no 30 February, no 24:00, no leap second), ASCII digits only,
 * within the supported range and at most `deadlineHorizonYears` ahead (beyond that working time is not
 * counted, and the workflow could only refuse it). Normalised to UTC as `toISOString()` writes it (to the
 * millisecond): what reaches the workflow, its timers and search attributes, and the database.
 */
export const BodyDeadline = z.iso
  .datetime({ offset: true, error: 'must be an ISO date-time with a time zone, e.g. 2026-11-23T10:00:00+08:00' })
  .refine((v) => isSupportedInstant(new Date(v)), { message: `must be ${supportedRange.description}`, abort: true })
  .refine((v) => Date.parse(v) <= addYears(Date.now(), deadlineHorizonYears), {
    message: `must be at most ${deadlineHorizonYears} years ahead (the furthest a working-day deadline is counted)`,
  })
  .transform((v) => new Date(v).toISOString())
  // Up to the year before the horizon's, as the year the document is written in counts it.
  .meta({ pattern: `^${yearsPattern(2001, new Date().getUTCFullYear() + deadlineHorizonYears - 1)}${monthDay}${timeOfDay}$` });

/** An instant in a request body (not a deadline): RFC 3339 with a time zone, within the supported range; kept as sent. */
export const BodyInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO date-time with a time zone' })
  .refine((v) => isSupportedInstant(new Date(v)), { message: `must be ${supportedRange.description}` })
  .meta({ pattern: `^${yearsPattern(2001, 2099)}${monthDay}${timeOfDay}$` });

/** The days of the supported range, as dates (Asia/Shanghai). */
export const supportedDays = { from: '2000-01-01', to: '2100-12-31' };

/** A calendar date in a request body: YYYY-MM-DD, a day that exists (leap years counted), within the supported range. */
export const BodyDate = z.iso
  .date({ error: 'must be a date YYYY-MM-DD' })
  .refine((v) => v >= supportedDays.from && v <= supportedDays.to, {
    message: `must be a day from ${supportedDays.from} to ${supportedDays.to} (Asia/Shanghai)`,
  })
  .meta({ pattern: `^${yearsPattern(2000, 2100)}${monthDay}$` });

/** Does an instant `seconds` from now lie within the supported range (e.g. when a token of that lifetime expires)? */
export const endsInSupportedRange = (seconds: number): boolean => Number.isFinite(seconds) && isSupportedInstant(new Date(Date.now() + seconds * 1000));
