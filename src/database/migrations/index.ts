import { CreateUsersAndSessions1763900000000 } from './1763900000000-CreateUsersAndSessions.js';
import { CreateFollows1763900100000 } from './1763900100000-CreateFollows.js';
import { CreateArticles1763900200000 } from './1763900200000-CreateArticles.js';
import { AddUserRole1763900300000 } from './1763900300000-AddUserRole.js';
import { CreateCacheOutbox1763900400000 } from './1763900400000-CreateCacheOutbox.js';
import { AddOutboxJobs1763900600000 } from './1763900600000-AddOutboxJobs.js';
import { NotifyRoleChanges1763900700000 } from './1763900700000-NotifyRoleChanges.js';

/**
 * Migrations in the order they apply. Listed explicitly (no glob) so the same list works from
 * compiled JS, from the TypeORM CLI and inside Jest. Add each new migration here.
 */
export const migrations = [
  CreateUsersAndSessions1763900000000,
  CreateFollows1763900100000,
  CreateArticles1763900200000,
  AddUserRole1763900300000,
  CreateCacheOutbox1763900400000,
  AddOutboxJobs1763900600000,
  NotifyRoleChanges1763900700000,
];
