import fs from 'node:fs';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { type CalendarDayKind, calendarDayKinds, calendarDays, calendarYears } from './schema';

/**
 * China's official working-day calendar as data: `calendar_days` holds the exceptions to the weekday
 * rule (public holidays, and adjusted working days on a weekend, 调休) and `calendar_years` the years
 * whose State Council notice is loaded. The demo data comes from the `chinese-days` package; an admin
 * imports a new year's notice through `PUT /api/calendar/{year}` (importCalendarYear).
 */

export interface CalendarDay {
  /** YYYY-MM-DD, a day in Asia/Shanghai. */
  date: string;
  kind: CalendarDayKind;
  name: string;
}

/** One entry of the package's data: "English name,中文名,n". */
type PackageEntries = Record<string, string>;
interface PackageData {
  holidays: PackageEntries;
  workdays: PackageEntries;
  /** Weekdays off "in lieu" (e.g. a Monday bridging a weekend); every one is also listed in `holidays`. */
  inLieuDays: PackageEntries;
}

const packageDir = () => path.dirname(require.resolve('chinese-days/package.json'));

/** The official calendar the `chinese-days` package ships, by year, and the package's version. */
export function packagedCalendar(): { source: string; years: Map<number, CalendarDay[]> } {
  const dir = packageDir();
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  const data = JSON.parse(fs.readFileSync(path.join(dir, 'dist', 'chinese-days.json'), 'utf8')) as PackageData;
  const years = new Map<number, CalendarDay[]>();
  const add = (entries: PackageEntries, kind: CalendarDayKind) => {
    for (const [date, value] of Object.entries(entries)) {
      const [en, zh] = value.split(',');
      const name = zh ? `${en} (${zh})` : (en ?? '');
      const year = Number(date.slice(0, 4));
      const list = years.get(year) ?? [];
      list.push({ date, kind, name });
      years.set(year, list);
    }
  };
  // inLieuDays are not added on their own: they are days off, and already among the holidays.
  add(data.holidays, 'holiday');
  add(data.workdays, 'workday');
  for (const list of years.values()) list.sort((a, b) => a.date.localeCompare(b.date));
  return { source: `chinese-days@${version}`, years };
}

/**
 * Loads every year the package has, idempotently. A year already in calendar_years is left alone,
 * days and all: an admin's import (or an earlier seed) wins over the package.
 */
export async function seedCalendar(db: Db, now = new Date()): Promise<void> {
  const { source, years } = packagedCalendar();
  if (years.size === 0) return;
  await db.transaction(async (tx) => {
    const added = await tx
      .insert(calendarYears)
      .values([...years.keys()].map((year) => ({ year, source, importedBy: 'seed', importedAt: now })))
      .onConflictDoNothing()
      .returning({ year: calendarYears.year });
    const rows = added.flatMap(({ year }) => (years.get(year) ?? []).map((d) => ({ ...d, year })));
    if (rows.length) await tx.insert(calendarDays).values(rows).onConflictDoNothing();
  });
}

/** Why a year's days cannot be imported: the offending entry's position in the list, and its field. */
export interface CalendarImportIssue {
  index: number;
  field: 'date' | 'kind';
  detail: string;
}

export class CalendarImportError extends Error {
  constructor(
    readonly year: number,
    readonly issues: CalendarImportIssue[],
  ) {
    super(`Calendar days for ${year} are not valid: ${issues.map((i) => `days/${i.index}/${i.field}: ${i.detail}`).join('; ')}`);
    this.name = 'CalendarImportError';
  }
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a YYYY-MM-DD string naming a day that exists (no 2026-02-30). */
export function isRealDate(date: string): boolean {
  const m = datePattern.exec(date);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === date;
}

/** Every problem with a year's list of days: unreal dates, dates of another year, duplicates, unknown kinds. */
export function calendarImportIssues(year: number, days: readonly CalendarDay[]): CalendarImportIssue[] {
  const issues: CalendarImportIssue[] = [];
  const seen = new Map<string, number>();
  days.forEach((day, index) => {
    if (!isRealDate(day.date)) issues.push({ index, field: 'date', detail: `${day.date} is not a real date (YYYY-MM-DD)` });
    else if (Number(day.date.slice(0, 4)) !== year) issues.push({ index, field: 'date', detail: `${day.date} is not in ${year}` });
    const first = seen.get(day.date);
    if (first !== undefined) issues.push({ index, field: 'date', detail: `${day.date} is listed twice (also days[${first}])` });
    else seen.set(day.date, index);
    if (!calendarDayKinds.includes(day.kind)) issues.push({ index, field: 'kind', detail: `must be one of ${calendarDayKinds.join(', ')}` });
  });
  return issues;
}

export interface CalendarImportMeta {
  /** Where the data comes from, e.g. the State Council notice's number. */
  source: string;
  importedBy: string;
  at: Date;
}

/**
 * Replaces one year's days (in one transaction) and marks the year official. Throws
 * CalendarImportError, writing nothing, when a day is not a real date in that year or appears twice.
 */
export async function importCalendarYear(db: Db, year: number, days: readonly CalendarDay[], meta: CalendarImportMeta): Promise<number> {
  if (!Number.isInteger(year)) throw new RangeError(`not a year: ${year}`);
  const issues = calendarImportIssues(year, days);
  if (issues.length) throw new CalendarImportError(year, issues);
  await db.transaction(async (tx) => {
    await tx.delete(calendarDays).where(eq(calendarDays.year, year));
    if (days.length) await tx.insert(calendarDays).values(days.map((d) => ({ date: d.date, year, kind: d.kind, name: d.name })));
    const row = { source: meta.source, importedBy: meta.importedBy, importedAt: meta.at };
    await tx
      .insert(calendarYears)
      .values({ year, ...row })
      .onConflictDoUpdate({ target: calendarYears.year, set: row });
  });
  return days.length;
}

/** One year as stored: its days and, when official, where the data came from. */
export async function readCalendarYear(db: Db, year: number) {
  const [meta] = await db.select().from(calendarYears).where(eq(calendarYears.year, year));
  const days = await db
    .select({ date: calendarDays.date, kind: calendarDays.kind, name: calendarDays.name })
    .from(calendarDays)
    .where(eq(calendarDays.year, year))
    .orderBy(calendarDays.date);
  return { meta, days };
}

/** Every stored day and official year: what a WorkingCalendar is built from. */
export async function readCalendar(db: Db) {
  const days = await db.select({ date: calendarDays.date, kind: calendarDays.kind }).from(calendarDays);
  const official = await db.select({ year: calendarYears.year }).from(calendarYears);
  return { days, officialYears: official.map((r) => r.year) };
}

/**
 * A cheap fingerprint of the stored calendar: it changes with every import or seed (years added, an
 * import time changed, days added or removed), so a cached calendar can be checked on every use.
 */
export async function calendarVersion(db: Db): Promise<string> {
  const [row] = await db
    .select({
      version: sql<string>`(select count(*) from ${calendarYears})::text || '/' ||
        (select coalesce(sum(extract(epoch from ${calendarYears.importedAt})), 0) from ${calendarYears})::text || '/' ||
        (select count(*) from ${calendarDays})::text`,
    })
    .from(sql`(select 1) as one`);
  return row?.version ?? '';
}
