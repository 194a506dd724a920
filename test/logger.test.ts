import { type SQL, sql } from 'drizzle-orm';
import { createLogger } from '../config/logger';
import { openTestDatabase, type TestDatabase } from './helpers/database';

describe('logger', () => {
  it('censors resident personal data wherever it is nested', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    log.info({ caseId: 'QG-20261123-0001', resident: { name: 'Li', phone: '13800000000' } }, 'a');
    log.info({ input: { resident: { name: 'Li', phone: '13800000000' } } }, 'b');
    log.info({ phone: '13800000000', person: { idNumber: '110101199003074514' } }, 'c');
    log.info({ req: { headers: { authorization: 'Bearer abc.def.ghi' } } }, 'd');
    const out = lines.join('');
    expect(lines).toHaveLength(4);
    expect(out).toContain('QG-20261123-0001');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('13800000000');
    expect(out).not.toContain('110101199003074514');
    expect(out).not.toContain('abc.def.ghi');
  });
});

describe('logger: errors without SQL or what was bound to it', () => {
  // A resident's phone and ID number, bound as parameters of statements that fail.
  const phone = '13912345678';
  const idNumber = '110101199003074514';

  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase({ seed: false });
    await database.db.execute(sql`create table log_probe (phone text unique, id_number text check (length(id_number) < 5))`);
    await database.db.execute(sql`insert into log_probe (phone) values (${phone})`);
  });
  afterAll(() => database.drop());

  /** The error the driver and drizzle raise for `statement`, as the API, the worker and the Temporal SDK log it. */
  const logged = async (statement: SQL, bound: string) => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const err = await database.db.execute(statement).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    // Before: drizzle's own message carries the statement and its parameters.
    expect(String((err as Error).message)).toContain(bound);
    log.error({ err }, 'request failed');
    log.warn({ error: err }, 'Activity failed'); // the Temporal SDK's key
    log.error(err as Error);
    log.error({ err: (err as Error).message }, 'the message as text'); // as some call sites log it
    expect(lines).toHaveLength(4);
    return { out: lines.join(''), first: JSON.parse(lines[0]!) };
  };

  it('a unique violation: its SQLSTATE and constraint, not the statement, the parameters or the key value', async () => {
    const { out, first } = await logged(sql`insert into log_probe (phone, id_number) values (${phone}, ${'x'})`, phone);
    expect(out).not.toContain(phone);
    expect(out).not.toMatch(/insert into/i);
    expect(out).not.toContain('log_probe (phone');
    expect(first.err).toMatchObject({ type: 'DrizzleQueryError', message: expect.stringMatching(/^Failed query \(/) });
    expect(first.err.stack).toMatch(/^Error: Failed query \(.*\n\s+at /);
    expect(first.err.cause).toMatchObject({ type: 'DatabaseError', code: '23505', constraint: expect.stringContaining('phone') });
    expect(first.err.cause.detail).toBeUndefined();
  });

  it('a check violation and a bad value: no ID number, no phone, whichever driver', async () => {
    for (const statement of [
      sql`insert into log_probe (phone, id_number) values (${'139' + '00000000'}, ${idNumber})`,
      sql`select * from log_probe where phone = ${phone} and ${idNumber}::int > 0`,
    ]) {
      const { out, first } = await logged(statement, idNumber);
      expect(out).not.toContain(idNumber);
      expect(out).not.toContain('13900000000');
      expect(out).not.toContain(phone);
      expect(first.err.cause.code).toMatch(/^[0-9A-Z]{5}$/);
    }
  });

  it('other errors as pino logs them: type, message, stack, cause, own properties', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const err = Object.assign(new Error('the gateway said no', { cause: new TypeError('fetch failed') }), { status: 502, body: `{"phone":"${phone}"}` });
    log.error({ err, error: 'plain text stays' }, 'delivery failed');
    const line = JSON.parse(lines[0]!);
    expect(line.err).toMatchObject({ type: 'Error', message: 'the gateway said no', status: 502, cause: { type: 'TypeError', message: 'fetch failed' } });
    expect(line.err.stack).toMatch(/^Error: the gateway said no\n\s+at /);
    expect(line.error).toBe('plain text stays');
    // A parser's raw request body is never copied.
    expect(lines[0]).not.toContain(phone);
  });
});
