import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.schema.js';
import { loadDotEnv } from '../database/load-dot-env.js';
import { typeormOptions } from '../database/typeorm-options.js';
import { User } from './user.entity.js';
import { UserRolesService } from './user-roles.service.js';
import { UsersRepository } from './users.repository.js';

/**
 * `npm run admin:grant -- EMAIL`: makes an existing user an admin. Talks to Postgres only (no Redis,
 * no HTTP server), so it works on a fresh deployment before the app is even started. Admin checks
 * read the role from Postgres on each request, so the grant takes effect at once.
 */
async function main(): Promise<number> {
  const email = process.argv[2];
  if (!email || process.argv.length > 3) {
    console.error('usage: npm run admin:grant -- EMAIL');
    return 2;
  }
  loadDotEnv();
  const env = validateEnv(process.env);
  const db = new DataSource(
    typeormOptions(env.DATABASE_URL, { poolSize: 1, applicationName: 'conduit-admin-grant' }),
  );
  await db.initialize();
  try {
    const roles = new UserRolesService(new UsersRepository(db.getRepository(User)), env);
    const normalized = email.trim().toLowerCase();
    const outcome = await roles.grant(normalized);
    if (outcome === 'unknown') {
      console.error(`no user with email ${normalized}: register first, then grant`);
      return 1;
    }
    console.log(
      outcome === 'granted'
        ? `${normalized} is now an admin`
        : `${normalized} was already an admin`,
    );
    return 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`admin:grant failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
