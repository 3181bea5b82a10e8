import { bootApp, type TestApp } from './support/test-app.js';

/**
 * The entities are the typed description of the schema, and the migrations build it: these tests
 * fail as soon as the two disagree (a migration without the matching entity change, or the other
 * way round), so neither can drift silently. The entities are the app's own, as its modules
 * register them (autoLoadEntities).
 */
describe('entities and migrations describe the same schema', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp(); // migrates the test database first
  });
  afterAll(async () => {
    await t.close();
  });

  it('TypeORM finds nothing to change between the entities and the migrated database', async () => {
    const pending = await t.db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('every migrated table has an entity, registered by a module', async () => {
    const tables: { tablename: string }[] = await t.db.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
    );
    const mapped = t.db.entityMetadatas.map((entity) => entity.tableName);
    expect(tables.map((row) => row.tablename).sort()).toEqual(mapped.sort());
  });
});
