// One copy of each string that repeats across objects (namespaces, node names, packed code
// strings). Bounded, so that a cluster with unusually many distinct values only stops sharing.
export class Interner {
  private readonly seen = new Map<string, string>();

  constructor(private readonly limit = 10_000) {}

  intern(s: string): string {
    const had = this.seen.get(s);
    if (had !== undefined) return had;
    if (this.seen.size < this.limit) this.seen.set(s, s);
    return s;
  }
}
