import fs from 'node:fs';
import path from 'node:path';
import { count, eq } from 'drizzle-orm';
import { calendarActivities, WorkingCalendar } from '../activities/calendar/activities';
import { CalendarImportError, importCalendarYear, readCalendar, readCalendarYear, seedCalendar } from '../db/calendar';
import { calendarDays, calendarYears } from '../db/schema';
import { databaseKind, openTestDatabase, type TestDatabase } from './helpers/database';

const hour = 3_600_000;
const day = 24 * hour;
/** An instant written in Shanghai local time. */
const sh = (local: string) => Date.parse(`${local}+08:00`);
const iso = (local: string) => new Date(sh(local)).toISOString();

/** The package's own data, read here independently of db/calendar.ts. */
const packageDir = path.join(__dirname, '..', 'node_modules', 'chinese-days');
const packaged = JSON.parse(fs.readFileSync(path.join(packageDir, 'dist', 'chinese-days.json'), 'utf8')) as Record<string, Record<string, string>>;
const packagedVersion = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;

describe(`China's working-day calendar (${databaseKind()})`, () => {
  let database: TestDatabase;
  let calendar: WorkingCalendar;
  beforeAll(async () => {
    database = await openTestDatabase();
    const { days, officialYears } = await readCalendar(database.db);
    calendar = new WorkingCalendar(days, officialYears);
  });
  afterAll(() => database.drop());

  describe('the seeded official data', () => {
    it('knows 2026 National Day (1–7 October) and its adjusted working days (Sunday 20 September, Saturday 10 October)', () => {
      for (let d = 1; d <= 7; d++) expect(calendar.isWorkingDay(`2026-10-0${d}`)).toBe(false);
      expect(calendar.isWorkingDay('2026-10-08')).toBe(true); // Thursday after the holiday
      expect(calendar.isWorkingDay('2026-10-09')).toBe(true);
      expect(calendar.isWorkingDay('2026-09-20')).toBe(true); // a Sunday worked
      expect(calendar.isWorkingDay('2026-10-10')).toBe(true); // a Saturday worked
      expect(calendar.isWorkingDay('2026-10-11')).toBe(false); // an ordinary Sunday
      expect(calendar.isWorkingDay('2026-09-30')).toBe(true); // an ordinary Wednesday
    });

    it('knows Spring Festival 2026 (15–23 February) and its adjusted Saturdays (14 and 28 February)', () => {
      for (let d = 15; d <= 23; d++) expect(calendar.isWorkingDay(`2026-02-${d}`)).toBe(false);
      expect(calendar.isWorkingDay('2026-02-23')).toBe(false); // a Monday off
      expect(calendar.isWorkingDay('2026-02-24')).toBe(true);
      expect(calendar.isWorkingDay('2026-02-14')).toBe(true);
      expect(calendar.isWorkingDay('2026-02-28')).toBe(true);
      expect(calendar.isWorkingDay('2026-02-21')).toBe(false);
    });

    it('has official data for the years the package covers and none for 2027', () => {
      expect(calendar.hasOfficialData(2004)).toBe(true);
      expect(calendar.hasOfficialData(2026)).toBe(true);
      expect(calendar.hasOfficialData(2027)).toBe(false);
      expect(calendar.hasOfficialData(2003)).toBe(false);
    });

    it('uses the weekday rule where no exception is stored, and rejects a date that does not exist', () => {
      expect(calendar.isWorkingDay('2027-01-01')).toBe(true); // a Friday, no data for 2027
      expect(calendar.isWorkingDay('2027-01-02')).toBe(false); // a Saturday
      expect(calendar.isWorkingDay('2026-03-09')).toBe(true); // an ordinary Monday
      expect(() => calendar.isWorkingDay('2026-02-30')).toThrow(/not a date/);
    });
  });

  describe('working time', () => {
    it('one working day from Monday 10:00 is Tuesday 10:00; from Saturday 15:00 it is Tuesday 00:00 (Monday counts fully)', () => {
      expect(calendar.advance('working-days', sh('2026-03-09T10:00'), day)).toBe(sh('2026-03-10T10:00'));
      expect(calendar.advance('working-days', sh('2026-03-07T15:00'), day)).toBe(sh('2026-03-10T00:00'));
    });

    it('a deadline across National Day skips the holiday and counts the adjusted Saturday', () => {
      const opened = sh('2026-09-30T10:00'); // Wednesday: 14 h of it remain
      // 2 days = 48 h: 14 h on 30 Sep, 1–7 Oct off, 24 h on 8 Oct, 10 h on 9 Oct.
      expect(calendar.advance('working-days', opened, 2 * day)).toBe(sh('2026-10-09T10:00'));
      // 3 days = 72 h: then 24 h on 9 Oct and 10 h on Saturday 10 Oct, a working day.
      expect(calendar.advance('working-days', opened, 3 * day)).toBe(sh('2026-10-10T10:00'));
      // 4 days = 96 h: 86 h by the end of 10 Oct, Sunday 11 Oct off, 10 h on Monday 12 Oct.
      expect(calendar.advance('working-days', opened, 4 * day)).toBe(sh('2026-10-12T10:00'));
    });

    it('a deadline across Spring Festival counts Saturday 14 February and skips 15–23 February', () => {
      // 8 h on Friday 13 Feb, 24 h on Saturday 14 Feb, then 16 h on Tuesday 24 Feb.
      expect(calendar.advance('working-days', sh('2026-02-13T16:00'), 2 * day)).toBe(sh('2026-02-24T16:00'));
    });

    it('calendar units ignore the working-day calendar', () => {
      const opened = sh('2026-09-30T10:00');
      expect(calendar.advance('hours', opened, 48 * hour)).toBe(sh('2026-10-02T10:00'));
      expect(calendar.advance('days', opened, 2 * day)).toBe(sh('2026-10-02T10:00'));
      expect(calendar.advance('minutes', opened, 90 * 60_000)).toBe(sh('2026-09-30T11:30'));
      expect(calendar.measure('hours', opened, sh('2026-10-09T10:00'))).toBe(9 * day);
    });

    it('measures working time: only the parts of working days count', () => {
      expect(calendar.measure('working-days', sh('2026-09-30T10:00'), sh('2026-10-09T10:00'))).toBe(48 * hour);
      expect(calendar.measure('working-days', sh('2026-10-01T00:00'), sh('2026-10-08T00:00'))).toBe(0);
      expect(calendar.measure('working-days', sh('2026-10-03T12:00'), sh('2026-10-10T06:00'))).toBe(24 * hour + 24 * hour + 6 * hour);
      expect(calendar.measure('working-days', sh('2026-10-09T10:00'), sh('2026-09-30T10:00'))).toBe(0);
      expect(calendar.measure('hours', sh('2026-10-09T10:00'), sh('2026-10-09T10:00'))).toBe(0);
    });

    it('advance and measure round-trip from many starting points', () => {
      // A fixed pseudo-random walk over 2025–2026, across every kind of day.
      let seed = 42;
      const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
      const start = sh('2025-01-01T00:00');
      for (let i = 0; i < 300; i++) {
        const from = start + Math.floor(next() * 700 * day);
        const ms = Math.floor(next() * 20 * day);
        const due = calendar.advance('working-days', from, ms);
        expect(calendar.measure('working-days', from, due)).toBe(ms);
        // due is the earliest such instant: a millisecond less is not enough.
        if (ms > 0) expect(calendar.measure('working-days', from, due - 1)).toBe(ms - 1);
        const to = from + Math.floor(next() * 20 * day);
        const measured = calendar.measure('working-days', from, to);
        const back = calendar.advance('working-days', from, measured);
        expect(back).toBeLessThanOrEqual(to);
        expect(calendar.measure('working-days', back, to)).toBe(0);
      }
    });

    it('a pause keeps the remaining time: measure the running spell, then schedule the rest from the resume', () => {
      const opened = sh('2026-09-30T10:00');
      const pausedAt = sh('2026-10-08T06:00'); // 14 h + 6 h consumed
      const consumedMs = calendar.measure('working-days', opened, pausedAt);
      expect(consumedMs).toBe(20 * hour);
      // Resumed Monday 12 Oct 09:00: the adjusted Saturday 10 Oct passed while paused and does not count.
      const schedule = calendar.schedule({ unit: 'working-days', budgetMs: 2 * day, consumedMs, from: iso('2026-10-12T09:00') });
      // 28 h remain: 15 h on 12 Oct, 13 h on 13 Oct.
      expect(schedule.dueAt).toBe(iso('2026-10-13T13:00'));
      // 50 %: 24 h − 20 h = 4 h after the resume; 75 %: 36 h − 20 h = 16 h → 15 h on 12 Oct + 1 h.
      expect(schedule.warnings).toEqual({ p50: iso('2026-10-12T13:00'), p75: iso('2026-10-13T01:00') });
      expect(schedule.provisional).toBe(false);
      expect(calendar.measure('working-days', opened, pausedAt) + calendar.measure('working-days', sh('2026-10-12T09:00'), Date.parse(schedule.dueAt))).toBe(
        2 * day,
      );
    });

    it('a budget already consumed is due at once, with no warnings; a warning already past is null', () => {
      const from = iso('2026-09-30T10:00');
      expect(calendar.schedule({ unit: 'working-days', budgetMs: day, consumedMs: day + hour, from })).toEqual({
        dueAt: new Date(sh('2026-09-30T10:00')).toISOString(),
        warnings: { p50: null, p75: null },
        provisional: false,
      });
      const s = calendar.schedule({ unit: 'hours', budgetMs: 8 * hour, consumedMs: 5 * hour, from });
      expect(s).toEqual({ dueAt: iso('2026-09-30T13:00'), warnings: { p50: null, p75: iso('2026-09-30T11:00') }, provisional: false });
    });

    it('a deadline reaching 2027 (no official data) follows the weekday rule and is provisional', () => {
      // Opened Wednesday 30 Dec 2026 09:00 with 7 working days = 168 h: 15 h on 30 Dec, 24 h on 31 Dec,
      // 24 h on Friday 1 Jan 2027 (a working day by the weekday rule), weekend, 4–7 Jan (96 h) → 159 h,
      // then 9 h on Friday 8 Jan.
      const s = calendar.schedule({ unit: 'working-days', budgetMs: 7 * day, consumedMs: 0, from: iso('2026-12-30T09:00') });
      expect(s.dueAt).toBe(iso('2027-01-08T09:00'));
      expect(s.provisional).toBe(true);
      // Calendar units are never provisional.
      expect(calendar.schedule({ unit: 'days', budgetMs: 7 * day, consumedMs: 0, from: iso('2026-12-30T09:00') }).provisional).toBe(false);
      // A deadline at midnight that ends 2026 needs nothing of 2027: 15 h + 24 h − 1 ms stays in 2026.
      expect(calendar.schedule({ unit: 'working-days', budgetMs: 39 * hour, consumedMs: 0, from: iso('2026-12-30T09:00') })).toMatchObject({
        dueAt: iso('2027-01-01T00:00'),
        provisional: false,
      });
    });

    it('never loops forever: a clock beyond 50 years is an error, far years use the weekday rule', () => {
      const from = sh('2026-01-05T00:00');
      expect(() => calendar.advance('working-days', from, 60 * 366 * day)).toThrow(/50 years/);
      expect(() => calendar.measure('working-days', from, from + 60 * 366 * day)).toThrow(/50 years/);
      expect(calendar.advance('days', from, 60 * 366 * day)).toBe(from + 60 * 366 * day);
      // 2060-01-05 is a Monday: 5 working days from its start end at the start of Saturday.
      expect(calendar.advance('working-days', sh('2060-01-05T00:00'), 5 * day)).toBe(sh('2060-01-10T00:00'));
      expect(() => calendar.advance('working-days', Number.NaN, day)).toThrow(/not finite/);
    });
  });

  describe('stored calendar', () => {
    const dayCount = async (year?: number) => {
      const [row] = await database.db
        .select({ n: count() })
        .from(calendarDays)
        .where(year === undefined ? undefined : eq(calendarDays.year, year));
      return row!.n;
    };

    it('seeds every year of the package once, however often it runs', async () => {
      const years = new Set([...Object.keys(packaged.holidays!), ...Object.keys(packaged.workdays!)].map((d) => Number(d.slice(0, 4))));
      const expectedDays = Object.keys(packaged.holidays!).length + Object.keys(packaged.workdays!).length;
      await seedCalendar(database.db);
      await seedCalendar(database.db);
      const stored = await database.db.select().from(calendarYears);
      expect(stored.map((y) => y.year).sort()).toEqual([...years].sort());
      expect(stored.every((y) => y.source === `chinese-days@${packagedVersion}` && y.importedBy === 'seed')).toBe(true);
      expect(await dayCount()).toBe(expectedDays);
      // Days off in lieu are holidays too, not working days.
      for (const date of Object.keys(packaged.inLieuDays!)) expect(calendar.isWorkingDay(date)).toBe(false);
    });

    it('refuses days outside the year, dates that do not exist and duplicates, writing nothing', async () => {
      const meta = { source: 'test', importedBy: 'admin-1', at: new Date() };
      const before = await dayCount(2026);
      const attempt = (days: { date: string; kind: 'holiday' | 'workday'; name: string }[]) => importCalendarYear(database.db, 2026, days, meta);
      await expect(attempt([{ date: '2025-12-31', kind: 'holiday', name: 'x' }])).rejects.toThrow(/2025-12-31 is not in 2026/);
      await expect(attempt([{ date: '2026-02-30', kind: 'holiday', name: 'x' }])).rejects.toThrow(/not a real date/);
      const dup = attempt([
        { date: '2026-05-01', kind: 'holiday', name: 'x' },
        { date: '2026-05-01', kind: 'holiday', name: 'y' },
      ]);
      await expect(dup).rejects.toBeInstanceOf(CalendarImportError);
      await expect(dup).rejects.toMatchObject({ issues: [{ index: 1, field: 'date', detail: expect.stringMatching(/twice/) }] });
      expect(await dayCount(2026)).toBe(before);
      const [year] = await database.db.select().from(calendarYears).where(eq(calendarYears.year, 2026));
      expect(year!.importedBy).toBe('seed');
    });

    it("an import replaces a year's days, and a later seed keeps the admin's import", async () => {
      const at = new Date('2026-06-01T00:00:00Z');
      const days = [
        { date: '2026-10-01', kind: 'holiday' as const, name: 'National Day' },
        { date: '2026-10-02', kind: 'holiday' as const, name: 'National Day' },
      ];
      expect(await importCalendarYear(database.db, 2026, days, { source: 'notice 2026-A', importedBy: 'admin-1', at })).toBe(2);
      await seedCalendar(database.db);
      const { meta, days: stored } = await readCalendarYear(database.db, 2026);
      expect(stored).toEqual(days);
      expect(meta).toEqual({ year: 2026, source: 'notice 2026-A', importedBy: 'admin-1', importedAt: at });
      // Put the package's 2026 back for the tests that follow.
      await database.db.delete(calendarDays).where(eq(calendarDays.year, 2026));
      await database.db.delete(calendarYears).where(eq(calendarYears.year, 2026));
      await seedCalendar(database.db);
      expect(await dayCount(2026)).toBe(
        [...Object.keys(packaged.holidays!), ...Object.keys(packaged.workdays!)].filter((d) => d.startsWith('2026-')).length,
      );
    });

    it('activities see an import at once: the deadline into 2027 is no longer provisional and honours its holiday', async () => {
      const { scheduleClock, measureClock } = calendarActivities(database.db);
      const input = { unit: 'working-days' as const, budgetMs: 7 * day, consumedMs: 0, from: iso('2026-12-30T09:00') };
      expect(await scheduleClock(input)).toMatchObject({ dueAt: iso('2027-01-08T09:00'), provisional: true });
      expect(await measureClock({ unit: 'working-days', from: iso('2026-12-31T00:00'), to: iso('2027-01-02T00:00') })).toBe(2 * day);

      await importCalendarYear(database.db, 2027, [{ date: '2027-01-01', kind: 'holiday', name: "New Year's Day" }], {
        source: 'notice 2027',
        importedBy: 'admin-1',
        at: new Date(),
      });
      // 15 h + 24 h in 2026, 1 Jan off, 4–8 Jan (120 h) → 159 h, weekend, 9 h on Monday 11 Jan.
      expect(await scheduleClock(input)).toMatchObject({ dueAt: iso('2027-01-11T09:00'), provisional: false });
      expect(await measureClock({ unit: 'working-days', from: iso('2026-12-31T00:00'), to: iso('2027-01-02T00:00') })).toBe(day);

      // A second import of the same year with the same number of days is seen too.
      await importCalendarYear(database.db, 2027, [{ date: '2027-01-09', kind: 'workday', name: 'Adjusted working day' }], {
        source: 'notice 2027 (corrected)',
        importedBy: 'admin-1',
        at: new Date(Date.now() + 1000),
      });
      // 1 Jan is a working day again: 8 Jan 09:00, as by the weekday rule; official now.
      expect(await scheduleClock(input)).toMatchObject({ dueAt: iso('2027-01-08T09:00'), provisional: false });
    });

    it('activities refuse a time that is not ISO without retrying', async () => {
      const { scheduleClock } = calendarActivities(database.db);
      await expect(scheduleClock({ unit: 'hours', budgetMs: hour, consumedMs: 0, from: 'yesterday' })).rejects.toMatchObject({
        nonRetryable: true,
        message: expect.stringMatching(/not an ISO date-time/),
      });
    });
  });
});
