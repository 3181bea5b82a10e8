import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCacheOutbox1763900400000 implements MigrationInterface {
  name = 'CreateCacheOutbox1763900400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // One row per acknowledged write whose Redis side effects are not confirmed yet. Rows live
    // for milliseconds on the happy path; the index serves the relay's "older than the grace" scan.
    await queryRunner.query(`
      CREATE TABLE "cache_outbox" (
        "id" bigserial PRIMARY KEY,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "cache_keys" text[] NOT NULL DEFAULT '{}',
        "tags" text[] NOT NULL DEFAULT '{}',
        "derived_keys" text[] NOT NULL DEFAULT '{}',
        "recount_users" integer[] NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(
      `CREATE INDEX "cache_outbox_created_idx" ON "cache_outbox" ("created_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "cache_outbox"`);
  }
}
