import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change of a user's role, whoever makes it (the API, the admin:grant CLI, SQL by hand),
 * sends NOTIFY user_role_changed with the user's id once its transaction commits; a TRUNCATE of
 * users sends '*'. Instances cache roles only while they listen (src/users/user-roles.service.ts).
 */
export class NotifyRoleChanges1763900700000 implements MigrationInterface {
  name = 'NotifyRoleChanges1763900700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION notify_user_role_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('user_role_changed', '*');
        ELSE
          PERFORM pg_notify('user_role_changed', OLD.id::text);
        END IF;
        RETURN NULL;
      END $$`);
    // UPDATE OF role fires when role is in the SET list, changed or not: rare, and harmless.
    await queryRunner.query(`
      CREATE TRIGGER users_role_changed AFTER UPDATE OF role OR DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION notify_user_role_changed()`);
    await queryRunner.query(`
      CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION notify_user_role_changed()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER users_truncated ON users`);
    await queryRunner.query(`DROP TRIGGER users_role_changed ON users`);
    await queryRunner.query(`DROP FUNCTION notify_user_role_changed()`);
  }
}
