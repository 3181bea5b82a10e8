/**
 * A uniform random sample of at most `size` items from a stream seen once (reservoir sampling,
 * Algorithm R): every item offered has the same chance to be kept, without knowing the total.
 */
export class Reservoir<T> {
  private readonly kept: T[] = [];
  private seen = 0;

  constructor(
    private readonly size: number,
    private readonly random: () => number = Math.random,
  ) {}

  offer(items: readonly T[]): void {
    for (const item of items) {
      this.seen += 1;
      if (this.kept.length < this.size) {
        this.kept.push(item);
        continue;
      }
      const slot = Math.floor(this.random() * this.seen);
      if (slot < this.size) this.kept[slot] = item;
    }
  }

  get items(): readonly T[] {
    return this.kept;
  }
}
