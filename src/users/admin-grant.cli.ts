import { DataSource } from 'typeorm';
import { createClient } from 'redis';
import { type Env, validateEnv } from '../config/env.schema.js';
import { RedisKeys } from '../redis/keys.js';
import { loadDotEnv } from '../database/load-dot-env.js';
import { typeormOptions } from '../database/typeorm-options.js';
import { User } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

/**
 * `npm run admin:grant -- EMAIL`: makes an existing user an admin. Postgres is all it needs, so it
 * works on a fresh deployment before the app ever started; it also drops the user's cached role in
 * Redis when it can reach it (otherwise the grant takes effect when that entry expires, ≤ 1 min).
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
    const users = new UsersRepository(db.getRepository(User));
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
    await forgetCachedRole(env, promoted[0]);
    console.log(`${normalized} is now an admin`);
    return 0;
  } finally {
    await db.destroy();
  }
}

async function forgetCachedRole(env: Env, userId: number): Promise<void> {
  const redis = createClient({
    url: env.REDIS_URL,
    socket: { connectTimeout: env.REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: false },
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.del(new RedisKeys(env.REDIS_KEY_PREFIX).userRole(userId));
  } catch {
    console.error(
      'Redis unreachable: the grant takes effect when the cached role expires (≤ 1 min)',
    );
  } finally {
    if (redis.isOpen) redis.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`admin:grant failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
