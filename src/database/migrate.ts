import { runCli } from '../common/cli.js';
import { validateEnv } from '../config/env.schema.js';
import { ensureDatabaseExists, redactUrl, runMigrations } from './ensure-database.js';

/** `npm run migration:run`: creates the database when missing and applies pending migrations. */
runCli({
  name: 'migration',
  async run() {
    const { DATABASE_URL } = validateEnv(process.env);
    if (await ensureDatabaseExists(DATABASE_URL)) {
      console.log(`created database ${redactUrl(DATABASE_URL)}`);
    }
    const ran = await runMigrations(DATABASE_URL);
    console.log(ran.length ? `applied: ${ran.join(', ')}` : 'database schema is up to date');
  },
});
