import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.schema.js';
import { loadDotEnv } from './load-dot-env.js';
import { typeormOptions } from './typeorm-options.js';

/**
 * The DataSource the TypeORM CLI loads (`npm run typeorm -- migration:show`, `migration:generate`).
 * The app builds its own from the same `typeormOptions`, its modules registering their entities;
 * the CLI finds every entity by file name instead (dist/**\/*.entity.js), so that this folder
 * imports no feature.
 */
loadDotEnv();
export default new DataSource(
  typeormOptions(validateEnv(process.env).DATABASE_URL, {
    applicationName: 'conduit-cli',
    entities: [fileURLToPath(new URL('../**/*.entity.js', import.meta.url))],
  }),
);
