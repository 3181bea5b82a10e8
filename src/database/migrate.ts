import { validateEnv } from '../config/env.schema.js';
import { ensureDatabaseExists, redactUrl, runMigrations } from './ensure-database.js';
import { loadDotEnv } from './load-dot-env.js';

/** `npm run migration:run`: creates the database when missing and applies pending migrations. */
async function main(): Promise<void> {
  loadDotEnv();
  const { DATABASE_URL } = validateEnv(process.env);
  if (await ensureDatabaseExists(DATABASE_URL)) {
    console.log(`created database ${redactUrl(DATABASE_URL)}`);
  }
  const ran = await runMigrations(DATABASE_URL);
  console.log(ran.length ? `applied: ${ran.join(', ')}` : 'database schema is up to date');
}

main().catch((error: unknown) => {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
