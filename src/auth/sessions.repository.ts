import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Session } from './session.entity.js';

/** The only place that speaks SQL about sessions. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(id: string, userId: number, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)', [
      id,
      userId,
      expiresAt,
    ]);
  }

  /** The session if it exists, is not revoked and has not expired. */
  async findActive(id: string): Promise<Session | null> {
    const rows: Session[] = await this.db.query(
      `SELECT id, user_id AS "userId", created_at AS "createdAt", expires_at AS "expiresAt",
              revoked_at AS "revokedAt"
       FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2`,
      [id, new Date()],
    );
    return rows[0] ?? null;
  }

  /** Revokes every live session of the user but `keep`; returns the ids it revoked. */
  async revokeAllBut(userId: number, keep: string, manager?: EntityManager): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await (manager ?? this.db).query(
      `UPDATE sessions SET revoked_at = now()
       WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND expires_at > now()
       RETURNING id`,
      [userId, keep],
    );
    return rows.map((row) => row.id);
  }

  /** Revokes on `manager` (the caller's transaction) when given. */
  async revoke(id: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db).query(
      'UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
      [id, new Date()],
    );
  }
}
