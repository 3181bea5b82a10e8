import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddUserRole1763900300000 implements MigrationInterface {
  name = 'AddUserRole1763900300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // A constant default: Postgres adds the column without rewriting the table.
    await queryRunner.query(`
      ALTER TABLE "users"
        ADD COLUMN "role" varchar(16) NOT NULL DEFAULT 'user'
        CONSTRAINT "users_role_check" CHECK ("role" IN ('user', 'admin'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "role"`);
  }
}
