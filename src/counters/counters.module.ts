import { Module } from '@nestjs/common';
import { UserCountersService } from './user-counters.service.js';

/**
 * Per-user counts and leaderboards, fed by the feature modules that own each metric (each registers
 * its loader). A domain module, imported where it is used: only infrastructure is global.
 */
@Module({
  providers: [UserCountersService],
  exports: [UserCountersService],
})
export class CountersModule {}
