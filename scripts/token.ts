import { parseArgs } from 'node:util';
import { z } from 'zod';
import { roles } from '../api/http/auth';
import { loadConfig, runMain } from '../config';
import { createAuth } from '../config/boot';

const usage = `Mint a development token.
  npm run token -- --role staff --station qianggen [--sub wang] [--name "Wang Fang"] [--ttl 8h]
  npm run token -- --role department --department housing
  npm run token -- --role supervisor --subdistrict xinjiekou
  npm run token -- --role admin
  npm run token -- --role partner --partner anju-repair --ttl 365d
Prints only the token, so: TOKEN=$(npm run -s token -- --role staff --station qianggen)`;

runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        station: { type: 'string' },
        department: { type: 'string' },
        subdistrict: { type: 'string' },
        partner: { type: 'string' },
        sub: { type: 'string' },
        name: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const role = z.enum(roles).safeParse(values.role);
  if (!role.success) {
    process.stderr.write(`--role must be one of ${roles.join(', ')}\n\n${usage}\n`);
    process.exit(2);
  }
  const ttl = values.ttl ?? undefined;
  if (ttl !== undefined && !/^\d+\s?(s|m|h|d)$/.test(ttl)) {
    process.stderr.write('--ttl must look like 30m, 8h or 7d\n');
    process.exit(2);
  }
  const claims = {
    sub: values.sub ?? (values.partner ? `partner-${values.partner}` : `dev-${role.data}`),
    role: role.data,
    name: values.name,
    station: values.station,
    department: values.department,
    subdistrict: values.subdistrict,
    partner: values.partner,
  };
  const auth = createAuth(loadConfig());
  try {
    process.stdout.write(`${await auth.sign(claims, ttl)}\n`);
  } catch (err) {
    const issues = err instanceof z.ZodError ? err.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
    process.stderr.write(`${issues}\n\n${usage}\n`);
    process.exit(2);
  }
});
