/** A one-line progress bar on stderr (plain lines when stderr is not a terminal). */
export class ProgressBar {
  private lastPrinted = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    const percent = this.total === 0 ? 100 : Math.floor((done / this.total) * 100);
    if (percent === this.lastPrinted) return;
    this.lastPrinted = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    const line = `${this.label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}`);
      if (percent === 100) process.stderr.write('\n');
    } else if (percent % 25 === 0) {
      process.stderr.write(`${line}\n`);
    }
  }
}
