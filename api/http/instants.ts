import { z } from 'zod';

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

/** A query parameter: a real calendar date (00:00 Asia/Shanghai) or a date-time with a time zone, within the supported range. */
export const QueryInstant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be an ISO date YYYY-MM-DD (00:00 Asia/Shanghai) or a date-time with a time zone',
  })
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00+08:00` : v))
  .refine(isSupportedInstant, { message: `must be ${supportedRange.description}` });
