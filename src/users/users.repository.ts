import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, QueryFailedError, Repository } from 'typeorm';
import { User, type UserRole } from './user.entity.js';
import { EmailTakenError, UsernameTakenError } from './users.errors.js';

export type NewUserRow = Pick<User, 'email' | 'username' | 'passwordHash'> & { role?: UserRole };
export type UserChanges = Partial<
  Pick<User, 'email' | 'username' | 'passwordHash' | 'bio' | 'image'>
>;

/** The only place that speaks SQL about users. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: number): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByIds(ids: number[]): Promise<User[]> {
    return ids.length ? this.users.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email });
  }

  /** Exact (case-sensitive) match, found through the lower(username) unique index. */
  findIdByUsername(username: string): Promise<number | null> {
    return this.users
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .where('lower(u.username) = lower(:username) AND u.username = :username', { username })
      .getRawOne<{ id: number }>()
      .then((row) => row?.id ?? null);
  }

  /**
   * Read on every admin request (see UserRolesService): plain SQL, because TypeORM's findOne
   * builds and escapes a query per call, which cost more CPU than the lookup itself.
   */
  async roleOf(id: number): Promise<UserRole | null> {
    const rows: { role: UserRole }[] = await this.users.query(
      'SELECT role FROM users WHERE id = $1',
      [id],
    );
    return rows[0]?.role ?? null;
  }

  async anyAdmin(): Promise<boolean> {
    return this.users.exists({ where: { role: 'admin' } });
  }

  /** Sets the role of the user with this exact username; false when there is no such user. */
  async setRole(username: string, role: UserRole): Promise<boolean> {
    const id = await this.findIdByUsername(username);
    if (id === null) return false;
    await this.users.update({ id }, { role });
    return true;
  }

  /** Makes the users with these (lower-cased) emails admins; returns the ids that changed. */
  async grantAdmin(emails: string[]): Promise<number[]> {
    if (emails.length === 0) return [];
    const result = await this.users
      .createQueryBuilder()
      .update()
      .set({ role: 'admin' })
      .where('email IN (:...emails) AND role <> :role', { emails, role: 'admin' })
      .returning('id')
      .execute();
    const rows = result.raw as { id: number }[];
    return rows.map((row) => row.id);
  }

  /** Inserts on `manager` (the caller's transaction) when given. */
  async insert(row: NewUserRow, manager?: EntityManager): Promise<User> {
    const users = this.on(manager);
    try {
      return await users.save(users.create(row));
    } catch (error) {
      throw translateUniqueViolation(error);
    }
  }

  /** Updates on `manager` (the caller's transaction) when given; returns the row after it. */
  async update(id: number, changes: UserChanges, manager?: EntityManager): Promise<User | null> {
    const users = this.on(manager);
    if (Object.keys(changes).length > 0) {
      try {
        await users.update({ id }, changes);
      } catch (error) {
        throw translateUniqueViolation(error);
      }
    }
    return users.findOneBy({ id });
  }

  private on(manager: EntityManager | undefined): Repository<User> {
    return manager ? manager.getRepository(User) : this.users;
  }
}

/** Turns a unique-constraint violation into the matching 422 domain error. */
function translateUniqueViolation(error: unknown): unknown {
  if (error instanceof QueryFailedError) {
    const { code, constraint } = error.driverError as { code?: string; constraint?: string };
    if (code === '23505' && constraint === 'users_email_key') return new EmailTakenError();
    if (code === '23505' && constraint === 'users_username_lower_key')
      return new UsernameTakenError();
  }
  return error;
}
