import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, MoreThan, Repository } from 'typeorm';
import { Session } from './session.entity.js';

@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(Session) private readonly sessions: Repository<Session>) {}

  async create(id: string, userId: number, expiresAt: Date): Promise<void> {
    await this.sessions.insert({ id, userId, expiresAt });
  }

  /** The session if it exists, is not revoked and has not expired. */
  findActive(id: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) });
  }

  /** Revokes every live session of the user but `keep`; returns the ids it revoked. */
  async revokeAllBut(userId: number, keep: string, manager?: EntityManager): Promise<string[]> {
    const sessions = manager ? manager.getRepository(Session) : this.sessions;
    const result = await sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('user_id = :userId AND id <> :keep', { userId, keep })
      .andWhere('revoked_at IS NULL AND expires_at > now()')
      .returning('id')
      .execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  /** Revokes on `manager` (the caller's transaction) when given. */
  async revoke(id: string, manager?: EntityManager): Promise<void> {
    const sessions = manager ? manager.getRepository(Session) : this.sessions;
    await sessions.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}
