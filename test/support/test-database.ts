/** Refuses to run the tests against a database whose name does not say it is a test database. */
export function assertTestDatabase(databaseUrl: string): void {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '');
  if (!/(^|_)test($|_)/.test(name)) {
    throw new Error(
      `Refusing to run tests against database "${name}": its name must contain "test" ` +
        '(set TEST_DATABASE_URL to a dedicated test database).',
    );
  }
}
