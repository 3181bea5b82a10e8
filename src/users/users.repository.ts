import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { uniqueViolationOf } from '../database/unique-violation.js';
import type { User, UserRole } from './user.entity.js';
import { EmailTakenError, UsernameTakenError } from './users.errors.js';

export type NewUserRow = Pick<User, 'email' | 'username' | 'passwordHash'> & { role?: UserRole };
export type UserChanges = Partial<
  Pick<User, 'email' | 'username' | 'passwordHash' | 'bio' | 'image'>
>;

/** The columns of a User, under the model's property names. */
const USER_COLUMNS = `id, email, username, password_hash AS "passwordHash", bio, image, role,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The updatable columns, by model property (UserChanges' keys). */
const CHANGEABLE: Record<keyof UserChanges, string> = {
  email: 'email',
  username: 'username',
  passwordHash: 'password_hash',
  bio: 'bio',
  image: 'image',
};

/** The only place that speaks SQL about users. */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findById(id: number): Promise<User | null> {
    const rows: User[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  findByIds(ids: number[]): Promise<User[]> {
    return ids.length
      ? this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::int[])`, [ids])
      : Promise.resolve([]);
  }

  async findByEmail(email: string): Promise<User | null> {
    const rows: User[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [
      email,
    ]);
    return rows[0] ?? null;
  }

  /** Exact (case-sensitive) match, found through the lower(username) unique index. */
  async findIdByUsername(username: string): Promise<number | null> {
    const rows: { id: number }[] = await this.db.query(
      'SELECT id FROM users WHERE lower(username) = lower($1) AND username = $1',
      [username],
    );
    return rows[0]?.id ?? null;
  }

  /** Read on every admin request (see UserRolesService): one indexed lookup. */
  async roleOf(id: number): Promise<UserRole | null> {
    const rows: { role: UserRole }[] = await this.db.query('SELECT role FROM users WHERE id = $1', [
      id,
    ]);
    return rows[0]?.role ?? null;
  }

  async anyAdmin(): Promise<boolean> {
    const rows: { found: boolean }[] = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin') AS found`,
    );
    return rows[0].found;
  }

  /** Sets the role of the user with this exact username; false when there is no such user. */
  async setRole(username: string, role: UserRole): Promise<boolean> {
    const id = await this.findIdByUsername(username);
    if (id === null) return false;
    await this.db.query('UPDATE users SET role = $2, updated_at = now() WHERE id = $1', [id, role]);
    return true;
  }

  /** Makes the users with these (lower-cased) emails admins; returns the ids that changed. */
  async grantAdmin(emails: string[]): Promise<number[]> {
    if (emails.length === 0) return [];
    const [rows]: [{ id: number }[], number] = await this.db.query(
      `UPDATE users SET role = 'admin', updated_at = now()
       WHERE email = ANY($1::text[]) AND role <> 'admin'
       RETURNING id`,
      [emails],
    );
    return rows.map((row) => row.id);
  }

  /** Inserts on `manager` (the caller's transaction) when given. */
  async insert(row: NewUserRow, manager?: EntityManager): Promise<User> {
    try {
      const rows: User[] = await this.on(manager).query(
        `INSERT INTO users (email, username, password_hash, role)
         VALUES ($1, $2, $3, $4)
         RETURNING ${USER_COLUMNS}`,
        [row.email, row.username, row.passwordHash, row.role ?? 'user'],
      );
      return rows[0];
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  }

  /** Updates on `manager` (the caller's transaction) when given; returns the row after it. */
  async update(id: number, changes: UserChanges, manager?: EntityManager): Promise<User | null> {
    const entries = (Object.keys(CHANGEABLE) as (keyof UserChanges)[])
      .filter((property) => changes[property] !== undefined)
      .map((property) => [CHANGEABLE[property], changes[property]] as const);
    if (entries.length === 0) {
      const rows: User[] = await this.on(manager).query(
        `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`,
        [id],
      );
      return rows[0] ?? null;
    }
    const assignments = entries.map(([column], i) => `${column} = $${i + 2}`).join(', ');
    try {
      const [rows]: [User[], number] = await this.on(manager).query(
        `UPDATE users SET ${assignments}, updated_at = now() WHERE id = $1
         RETURNING ${USER_COLUMNS}`,
        [id, ...entries.map(([, value]) => value)],
      );
      return rows[0] ?? null;
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  }

  private on(manager: EntityManager | undefined): EntityManager | DataSource {
    return manager ?? this.db;
  }
}

/** Turns a unique-constraint violation into the matching 422 domain error. */
function translateUniqueViolation(error: unknown): unknown {
  switch (uniqueViolationOf(error)) {
    case 'users_email_key':
      return new EmailTakenError();
    case 'users_username_lower_key':
      return new UsernameTakenError();
    default:
      return error;
  }
}
