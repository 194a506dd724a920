import type { Schemas } from '../shared/api';

export type Assessment = Schemas['DepartmentAssessment'];

/** A share of a whole, null when the whole is 0 (no calls: no rate, not 0 %). */
export interface Rate {
  part: number;
  whole: number;
  /** 0–100, one decimal */
  percent: number | null;
}

const rate = (part: number, whole: number): Rate => ({ part, whole, percent: whole > 0 ? Math.round((part / whole) * 1000) / 10 : null });

/**
 * The three figures the console ranks departments by, derived from the API's counts:
 * on-time check-in = check-ins by the deadline ÷ calls; on-time report = reports on time ÷ calls not released or
 * replaced; satisfaction = the stations' average rating (1–5), null without ratings.
 */
export function ratesOf(a: Assessment): { checkIn: Rate; report: Rate; satisfaction: number | null } {
  return {
    checkIn: rate(a.checkedInOnTime, a.calls),
    report: rate(a.reportsOnTime, a.calls - a.released),
    satisfaction: a.ratings.average === null ? null : Math.round(a.ratings.average * 100) / 100,
  };
}

/** The department's name in the language shown. */
export const departmentName = (a: Assessment, zh: boolean) => (zh ? a.department.nameZh || a.department.name : a.department.name);
