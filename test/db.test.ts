import { count, eq, sql } from 'drizzle-orm';
import { createActivities } from '../activities';
import { caseEvents, cases, deadlineClasses, departments, partners, serviceItems, stations } from '../db/schema';
import { demo, seedDemoData } from '../db/seed';
import { caseInput } from './helpers/fixtures';
import { databaseKind, openTestDatabase, type TestDatabase } from './helpers/database';

describe(`database (${databaseKind()})`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.drop());

  it('runs on the kind of database the environment names', () => {
    expect(database.kind).toBe(databaseKind());
  });

  it('applies migrations idempotently', async () => {
    await database.migrate();
    const tables = await database.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    const names = (tables as unknown as { rows?: { table_name: string }[] }).rows ?? (tables as unknown as { table_name: string }[]);
    expect(names.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['cases', 'case_events', 'stations', 'service_items', 'deadline_classes', 'idempotency_keys']),
    );
  });

  it('seeds the demo master data once, however often it runs, and keeps admin edits', async () => {
    await database.db.update(partners).set({ name: 'Renamed by an admin' }).where(eq(partners.id, 'anju-repair'));
    await seedDemoData(database.db);
    await seedDemoData(database.db);
    const [s] = await database.db.select({ n: count() }).from(stations);
    const [d] = await database.db.select({ n: count() }).from(departments);
    const [i] = await database.db.select({ n: count() }).from(serviceItems);
    expect(s!.n).toBe(demo.stations.length);
    expect(d!.n).toBe(demo.departments.length);
    expect(i!.n).toBe(demo.serviceItems.length);
    const [p] = await database.db.select().from(partners).where(eq(partners.id, 'anju-repair'));
    expect(p!.name).toBe('Renamed by an admin');
  });

  it('has a catalogue covering the four service categories, each item with a known deadline class', async () => {
    const items = await database.db.select().from(serviceItems);
    expect(new Set(items.map((i) => i.category))).toEqual(new Set(['party-masses', 'government', 'life', 'public']));
    expect(new Set(items.map((i) => i.handlingMode))).toEqual(new Set(['handle-now', 'needs-documents']));
    const classes = new Set((await database.db.select().from(deadlineClasses)).map((c) => c.code));
    for (const item of items) expect(classes).toContain(item.deadlineClass);
  });

  it('records an opened case once even when the activity is retried', async () => {
    const { recordCaseOpened } = createActivities({ db: database.db });
    const input = caseInput('QG-20261123-0901');
    await recordCaseOpened(input);
    await recordCaseOpened(input);
    await Promise.all([recordCaseOpened(input), recordCaseOpened(input)]);
    const rows = await database.db.select().from(cases).where(eq(cases.id, input.caseId));
    const events = await database.db.select().from(caseEvents).where(eq(caseEvents.caseId, input.caseId));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.resident).toEqual(input.resident);
    expect(rows[0]!.openedAt.toISOString()).toBe(input.openedAt);
    expect(events.map((e) => e.type)).toEqual(['case.opened']);
  });
});
