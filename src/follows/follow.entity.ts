import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** "follower follows followee". Times are kept to the millisecond, the zsets' score unit. */
@Entity({ name: 'follows' })
@Index('follows_followee_created_idx', ['followeeId', 'createdAt', 'followerId'])
@Index('follows_follower_created_idx', ['followerId', 'createdAt', 'followeeId'])
export class Follow {
  @PrimaryColumn({ name: 'follower_id', type: 'int' })
  followerId: number;

  @PrimaryColumn({ name: 'followee_id', type: 'int' })
  followeeId: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
