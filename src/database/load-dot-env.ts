/** Loads `.env` from the working directory for the command-line tools, when there is one. */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path);
  } catch {
    // No .env file: the process environment and the schema's defaults apply.
  }
}
