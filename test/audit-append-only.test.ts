import { sql } from 'drizzle-orm';
import { auditEvents, tokenRevocations } from '../db/schema';
import { openTestDatabase, type TestDatabase } from './helpers/database';

/** Migration 0007: the audit and the revocation list are append-only in the database itself. */
describe('append-only audit and revocation list', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase({ seed: false });
  });
  afterAll(() => database.drop());

  it('keeps rows and refuses UPDATE, DELETE and TRUNCATE', async () => {
    const { db } = database;
    await db.insert(auditEvents).values({ actor: 'root', actorRole: 'admin', action: 'partner.registered', targetKind: 'partner', targetId: 'p1' });
    await db.insert(tokenRevocations).values({ credentialId: 'j1', revokedBy: 'root', revokedByRole: 'admin', reason: 'lost' });
    for (const statement of [
      sql`update audit_events set actor = 'someone'`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
      sql`update token_revocations set reason = 'x'`,
      sql`delete from token_revocations`,
      sql`truncate token_revocations`,
    ]) {
      await expect(db.execute(statement)).rejects.toThrow();
    }
    expect(await db.select().from(auditEvents)).toHaveLength(1);
    expect(await db.select().from(tokenRevocations)).toHaveLength(1);
  });

  it('refuses a revocation that names neither a credential nor a holder and instant', async () => {
    await expect(
      database.db.insert(tokenRevocations).values({ holder: 'partner:p1', revokedBy: 'root', revokedByRole: 'admin', reason: 'x' }),
    ).rejects.toThrow();
  });
});
