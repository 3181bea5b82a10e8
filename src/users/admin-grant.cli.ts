import { DataSource } from 'typeorm';
import { runCli } from '../common/cli.js';
import { validateEnv } from '../config/env.schema.js';
import { typeormOptions } from '../database/typeorm-options.js';
import { UsersRepository } from './users.repository.js';

/**
 * `npm run admin:grant -- EMAIL`: makes an existing user an admin. Postgres is all it needs, so it
 * works on a fresh deployment before the app ever started, and the app reads roles from Postgres on
 * every admin request, so the grant bites on the next request on every instance.
 */
const USAGE = `usage: npm run admin:grant -- EMAIL

Gives the admin role to the registered user with this email (in the database of DATABASE_URL).
Needs only Postgres: the app reads roles there on every admin request, so it bites at once.`;

runCli({
  name: 'admin:grant',
  usage: USAGE,
  async run(args) {
    const email = args[0];
    if (!email || args.length > 1) {
      console.error(USAGE);
      return 2;
    }
    const env = validateEnv(process.env);
    const db = new DataSource(
      typeormOptions(env.DATABASE_URL, { poolSize: 1, applicationName: 'conduit-admin-grant' }),
    );
    await db.initialize();
    try {
      const users = new UsersRepository(db);
      const normalized = email.trim().toLowerCase();
      const promoted = await users.grantAdmin([normalized]);
      if (promoted.length === 0) {
        if (await users.findByEmail(normalized)) {
          console.log(`${normalized} was already an admin`);
          return 0;
        }
        console.error(`no user with email ${normalized}: register first, then grant`);
        return 1;
      }
      console.log(`${normalized} is now an admin`);
      return 0;
    } finally {
      await db.destroy();
    }
  },
});
