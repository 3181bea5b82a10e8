import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Env, validateEnv } from './env.schema.js';

/**
 * Loads `.env` (if present) and the process environment through @nestjs/config, validates it once
 * and provides the typed `Env` object to every module: inject `Env`, never read `process.env`.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          cache: true,
          validate: (raw) => validateEnv({ ...raw, ...overrides }),
        }),
      ],
      providers: [
        {
          provide: Env,
          inject: [ConfigService],
          useFactory: (config: ConfigService): Env => {
            const env = new Env();
            for (const key of Object.keys(env) as (keyof Env)[]) {
              Object.assign(env, { [key]: config.get<Env[typeof key]>(key) ?? env[key] });
            }
            return env;
          },
        },
      ],
      exports: [Env],
    };
  }
}
