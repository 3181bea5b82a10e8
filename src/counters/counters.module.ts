import { Module } from '@nestjs/common';
import { LiveLeaderboards } from './live-leaderboards.js';
import { MetricRegistry } from './metric-registry.js';
import { UserCountersService } from './user-counters.service.js';

/**
 * Per-user counts and leaderboards, fed by the feature modules that own each metric (each registers
 * its loader). A domain module, imported where it is used: only infrastructure is global.
 * MetricRegistry and LiveLeaderboards are exported for reconciliation and the leaderboards.
 */
@Module({
  providers: [UserCountersService, MetricRegistry, LiveLeaderboards],
  exports: [UserCountersService, MetricRegistry, LiveLeaderboards],
})
export class CountersModule {}
