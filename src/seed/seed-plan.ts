/** How much data to generate. */
export interface SeedPlan {
  users: number;
  followsPerUser: number;
  articlesPerUser: number;
  favoritesPerUser: number;
}

export const SCALES: Record<'small' | 'medium' | 'large', SeedPlan> = {
  small: { users: 1_000, followsPerUser: 10, articlesPerUser: 2, favoritesPerUser: 10 },
  medium: { users: 10_000, followsPerUser: 10, articlesPerUser: 2, favoritesPerUser: 10 },
  large: { users: 100_000, followsPerUser: 10, articlesPerUser: 2, favoritesPerUser: 10 },
};

export interface SeedOptions extends SeedPlan {
  reset: boolean;
}

/** Parses `--users N --follows-per-user F ... --scale small|medium|large --reset`. */
export function parseSeedArgs(argv: string[]): SeedOptions {
  const options: SeedOptions = { ...SCALES.small, reset: false };
  const numeric: Record<string, keyof SeedPlan> = {
    '--users': 'users',
    '--follows-per-user': 'followsPerUser',
    '--articles-per-user': 'articlesPerUser',
    '--favorites-per-user': 'favoritesPerUser',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--reset') {
      options.reset = true;
    } else if (arg === '--scale') {
      const scale = argv[++i] as keyof typeof SCALES;
      if (!(scale in SCALES))
        throw new Error(`--scale must be small, medium or large (got ${argv[i]})`);
      Object.assign(options, SCALES[scale]);
    } else if (arg in numeric) {
      const value = Number(argv[++i]);
      const min = arg === '--users' ? 2 : 0;
      if (!Number.isInteger(value) || value < min || value > 10_000_000) {
        throw new Error(`${arg} needs a whole number from ${min} (got ${argv[i]})`);
      }
      options[numeric[arg]] = value;
    } else {
      throw new Error(`unknown option ${arg}`);
    }
  }
  return options;
}
