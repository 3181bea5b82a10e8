import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity.js';

/** "follower follows followee". Times are kept to the millisecond, the zsets' score unit. */
@Entity({ name: 'follows' })
@Check('follows_not_self', '"follower_id" <> "followee_id"')
@Index('follows_followee_created_idx', ['followeeId', 'createdAt', 'followerId'])
@Index('follows_follower_created_idx', ['followerId', 'createdAt', 'followeeId'])
export class Follow {
  @ForeignKey(() => User, { name: 'follows_follower_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'follower_id', type: 'int' })
  followerId: number;

  @ForeignKey(() => User, { name: 'follows_followee_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'followee_id', type: 'int' })
  followeeId: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
