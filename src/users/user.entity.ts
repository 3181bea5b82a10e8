import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export type UserRole = 'user' | 'admin';

@Entity({ name: 'users' })
// Usernames are unique regardless of case (no "Alice" beside "alice"); the index is an
// expression index that the migration creates, so TypeORM must not try to manage it.
@Index('users_username_lower_key', { synchronize: false })
@Check('users_role_check', `"role" IN ('user', 'admin')`)
export class User {
  @PrimaryGeneratedColumn()
  id: number;

  /** Stored lower-cased, which makes the unique constraint case-insensitive. */
  @Column({ type: 'varchar', length: 254, unique: true })
  email: string;

  @Column({ type: 'varchar', length: 40 })
  username: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'text', nullable: true })
  bio: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  image: string | null;

  /** Checked from Postgres on every admin request, never trusted from a token. */
  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: UserRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
