import { Column } from 'typeorm';

/**
 * A `timestamptz` column whose default is `now()` truncated to milliseconds: JavaScript dates
 * (and the cursors and scores built from them) carry milliseconds, so a row must not hold finer
 * time than what a client can send back in a cursor.
 */
export const MillisecondTimestampColumn = (name: string) =>
  Column({ name, type: 'timestamptz', default: () => "date_trunc('milliseconds', now())" });
