// Runs a command-line tool from the existing build (`node scripts/run-built.mjs dist/x.js ARGS`),
// so `npm run seed` and friends start at once instead of rebuilding first. When the build is
// missing it says so in one line instead of Node's "Cannot find module" stack trace.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const target = process.argv[2];
if (!target || !existsSync(target)) {
  console.error(`${target ?? 'the CLI'} is missing: run \`npm run build\` first`);
  process.exit(1);
}
// The tool reads its own arguments from process.argv.slice(2), as if started directly.
process.argv.splice(1, 1);
process.argv[1] = resolve(target);
await import(pathToFileURL(resolve(target)).href);
