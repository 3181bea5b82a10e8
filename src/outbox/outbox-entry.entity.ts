import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The Redis side effects of one committed write, kept until Redis confirms them (see
 * OutboxService). Declared as an entity so the schema is known to TypeORM (and tests truncate it
 * with the rest); it is read and written with plain SQL.
 */
@Entity({ name: 'cache_outbox' })
@Index('cache_outbox_created_idx', ['createdAt'])
export class OutboxEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Cache entries to delete (each with its fill lease). */
  @Column({ name: 'cache_keys', type: 'text', array: true, default: '{}' })
  cacheKeys: string[];

  /** Cache tags whose generation to bump. */
  @Column({ type: 'text', array: true, default: '{}' })
  tags: string[];

  /** Derived structures the writer updates in place; the relay drops them (rebuilt lazily). */
  @Column({ name: 'derived_keys', type: 'text', array: true, default: '{}' })
  derivedKeys: string[];

  /** Users whose counts the writer moves by deltas; the relay recounts them from Postgres. */
  @Column({ name: 'recount_users', type: 'int', array: true, default: '{}' })
  recountUsers: number[];

  /** Background jobs the write asked for (timeline fan-out); the relay enqueues them again. */
  // '[]' (Postgres casts it to jsonb): TypeORM reads the column's default without its cast, and
  // would otherwise see a difference from the migration where there is none.
  @Column({ type: 'jsonb', default: () => "'[]'" })
  jobs: unknown[];
}
