import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Mapped for TypeORM's metadata (truncation in tests, the CLI); the repository uses SQL. */
@Entity({ name: 'articles' })
export class Article {
  @PrimaryGeneratedColumn() id: number;
  @Column({ type: 'varchar', length: 255, unique: true }) slug: string;
  @Column({ type: 'varchar', length: 255 }) title: string;
  @Column({ type: 'varchar', length: 1000 }) description: string;
  @Column({ type: 'text' }) body: string;
  @Column({ name: 'author_id', type: 'int' }) authorId: number;
  @Column({ name: 'favorites_count', type: 'int', default: 0 }) favoritesCount: number;
  @Column({ name: 'views_count', type: 'bigint', default: 0 }) viewsCount: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity({ name: 'article_tags' })
export class ArticleTag {
  @Column({ name: 'article_id', type: 'int', primary: true }) articleId: number;
  @Column({ type: 'varchar', length: 64, primary: true }) tag: string;
}

@Entity({ name: 'favorites' })
export class Favorite {
  @Column({ name: 'user_id', type: 'int', primary: true }) userId: number;
  @Column({ name: 'article_id', type: 'int', primary: true }) articleId: number;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity({ name: 'comments' })
export class Comment {
  @PrimaryGeneratedColumn() id: number;
  @Column({ name: 'article_id', type: 'int' }) articleId: number;
  @Column({ name: 'author_id', type: 'int' }) authorId: number;
  @Column({ type: 'text' }) body: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
