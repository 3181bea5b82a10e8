import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateFollows1763900100000 implements MigrationInterface {
  name = 'CreateFollows1763900100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "follows" (
        "follower_id" integer NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "followee_id" integer NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "follows_pkey" PRIMARY KEY ("follower_id", "followee_id"),
        CONSTRAINT "follows_not_self" CHECK ("follower_id" <> "followee_id")
      )`);
    // Newest-first pages in both directions, and counts, are index-only scans.
    await queryRunner.query(
      `CREATE INDEX "follows_followee_created_idx" ON "follows" ("followee_id", "created_at", "follower_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "follows_follower_created_idx" ON "follows" ("follower_id", "created_at", "followee_id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "follows"`);
  }
}
