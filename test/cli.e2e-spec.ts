import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** What a failed command printed and its exit code (execFile rejects on a non-zero exit). */
async function outcome(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { env: process.env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The command-line tools: usage on --help, run from the build (no rebuild), plain when it is missing. */
describe('command-line tools', () => {
  it.each([
    ['seed', /^usage: npm run seed -- \[--scale small\|medium\|large\]/],
    ['reconcile', /^usage: npm run reconcile\n/],
    ['admin:grant', /^usage: npm run admin:grant -- EMAIL\n/],
  ])('npm run %s -- --help prints its usage and exits 0', async (script, usage) => {
    const result = await outcome(npm, ['run', '--silent', script, '--', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(usage);
    // Runs the existing build: npm's "> nest build" banner would show a rebuild.
    expect(result.stdout + result.stderr).not.toMatch(/nest build/);
  });

  it('points at --help for an unknown seed option', async () => {
    const result = await outcome(process.execPath, ['dist/seed/seed.js', '--bogus']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown option --bogus[\s\S]*npm run seed -- --help/);
  });

  it('rejects stray arguments to reconcile with its usage', async () => {
    const result = await outcome(process.execPath, ['dist/reconciliation/reconcile.cli.js', 'now']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown argument now\nusage: npm run reconcile/);
  });

  it('says plainly to build first when the build is missing', async () => {
    const result = await outcome(process.execPath, [
      'scripts/run-built.mjs',
      'dist/not-built/tool.js',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'dist/not-built/tool.js is missing: run `npm run build` first',
    );
  });
});
