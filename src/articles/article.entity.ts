import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { MillisecondTimestampColumn } from '../database/columns.js';
import { User } from '../users/user.entity.js';

/** Mapped for TypeORM's metadata (truncation in tests, the CLI); the repository uses SQL. */
@Entity({ name: 'articles' })
// Both indexes are (created_at DESC, id DESC): TypeORM cannot say DESC, so it leaves them alone.
@Index('articles_created_idx', { synchronize: false })
@Index('articles_author_created_idx', { synchronize: false })
export class Article {
  @PrimaryGeneratedColumn() id: number;
  @Column({ type: 'varchar', length: 255, unique: true }) slug: string;
  @Column({ type: 'varchar', length: 255 }) title: string;
  @Column({ type: 'varchar', length: 1000 }) description: string;
  @Column({ type: 'text' }) body: string;
  @ForeignKey(() => User, { name: 'articles_author_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'author_id', type: 'int' })
  authorId: number;
  @Column({ name: 'favorites_count', type: 'int', default: 0 }) favoritesCount: number;
  @Column({ name: 'views_count', type: 'bigint', default: 0 }) viewsCount: string;
  @MillisecondTimestampColumn('created_at')
  createdAt: Date;
  @MillisecondTimestampColumn('updated_at')
  updatedAt: Date;
}

@Entity({ name: 'article_tags' })
@Index('article_tags_tag_idx', ['tag', 'articleId'])
export class ArticleTag {
  @ForeignKey(() => Article, { name: 'article_tags_article_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'article_id', type: 'int', primary: true })
  articleId: number;
  @Column({ type: 'varchar', length: 64, primary: true }) tag: string;
}

@Entity({ name: 'favorites' })
@Index('favorites_article_idx', ['articleId', 'userId'])
export class Favorite {
  @ForeignKey(() => User, { name: 'favorites_user_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'user_id', type: 'int', primary: true })
  userId: number;
  @ForeignKey(() => Article, { name: 'favorites_article_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'article_id', type: 'int', primary: true })
  articleId: number;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

@Entity({ name: 'comments' })
@Index('comments_article_idx', ['articleId', 'id'])
export class Comment {
  @PrimaryGeneratedColumn() id: number;
  @ForeignKey(() => Article, { name: 'comments_article_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'article_id', type: 'int' })
  articleId: number;
  @ForeignKey(() => User, { name: 'comments_author_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'author_id', type: 'int' })
  authorId: number;
  @Column({ type: 'text' }) body: string;
  @MillisecondTimestampColumn('created_at')
  createdAt: Date;
  @MillisecondTimestampColumn('updated_at')
  updatedAt: Date;
}
