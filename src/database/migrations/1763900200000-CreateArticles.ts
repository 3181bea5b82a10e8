import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateArticles1763900200000 implements MigrationInterface {
  name = 'CreateArticles1763900200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "articles" (
        "id" SERIAL PRIMARY KEY,
        "slug" varchar(255) NOT NULL CONSTRAINT "articles_slug_key" UNIQUE,
        "title" varchar(255) NOT NULL,
        "description" varchar(1000) NOT NULL,
        "body" text NOT NULL,
        "author_id" integer NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "favorites_count" integer NOT NULL DEFAULT 0,
        "views_count" bigint NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        "updated_at" timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await queryRunner.query(
      `CREATE INDEX "articles_created_idx" ON "articles" ("created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "articles_author_created_idx" ON "articles" ("author_id", "created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE "article_tags" (
        "article_id" integer NOT NULL REFERENCES "articles" ("id") ON DELETE CASCADE,
        "tag" varchar(64) NOT NULL,
        CONSTRAINT "article_tags_pkey" PRIMARY KEY ("article_id", "tag")
      )`);
    await queryRunner.query(
      `CREATE INDEX "article_tags_tag_idx" ON "article_tags" ("tag", "article_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "favorites" (
        "user_id" integer NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "article_id" integer NOT NULL REFERENCES "articles" ("id") ON DELETE CASCADE,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "favorites_pkey" PRIMARY KEY ("user_id", "article_id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "favorites_article_idx" ON "favorites" ("article_id", "user_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "comments" (
        "id" SERIAL PRIMARY KEY,
        "article_id" integer NOT NULL REFERENCES "articles" ("id") ON DELETE CASCADE,
        "author_id" integer NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
        "body" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        "updated_at" timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await queryRunner.query(
      `CREATE INDEX "comments_article_idx" ON "comments" ("article_id", "id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "comments"`);
    await queryRunner.query(`DROP TABLE "favorites"`);
    await queryRunner.query(`DROP TABLE "article_tags"`);
    await queryRunner.query(`DROP TABLE "articles"`);
  }
}
