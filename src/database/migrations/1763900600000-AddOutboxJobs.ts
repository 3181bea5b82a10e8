import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddOutboxJobs1763900600000 implements MigrationInterface {
  name = 'AddOutboxJobs1763900600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Jobs a write asks for (timeline fan-out), kept with its other Redis effects until a queue
    // accepted them: a write whose enqueue failed (Redis down) loses nothing.
    await queryRunner.query(
      `ALTER TABLE "cache_outbox" ADD COLUMN "jobs" jsonb NOT NULL DEFAULT '[]'::jsonb`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "cache_outbox" DROP COLUMN "jobs"`);
  }
}
