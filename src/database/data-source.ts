import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.schema.js';
import { loadDotEnv } from './load-dot-env.js';
import { typeormOptions } from './typeorm-options.js';

/**
 * The DataSource the TypeORM CLI loads (`npm run typeorm -- migration:show`, `migration:generate`).
 * The app builds its own from the same `typeormOptions`.
 */
loadDotEnv();
export default new DataSource(
  typeormOptions(validateEnv(process.env).DATABASE_URL, { applicationName: 'conduit-cli' }),
);
