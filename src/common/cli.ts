/** True when a command-line tool was asked for its usage (`--help` or `-h`). */
export function helpRequested(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
