// EndpointSlices by the Service they name, so that a change names the Services it touches and
// objectsOf(service) finds their slices without a scan. Most Services have one slice: it is
// kept as the value itself, a Map only from the second (a Map costs ~300 bytes).

type Slices<T> = { readonly key: string; readonly obj: T } | Map<string, T>;

export class SliceIndex<T> {
  private readonly byOwner = new Map<string, Slices<T>>();
  private readonly ownerOf = new Map<string, string>();

  /** Records slice `key` under `owner` (undefined: deleted); returns the owners whose slices changed (two if it moved). */
  set(key: string, owner: string | undefined, obj: T): string[] {
    const was = this.ownerOf.get(key);
    if (was !== undefined && was !== owner) {
      this.remove(was, key);
      this.ownerOf.delete(key);
    }
    if (owner === undefined) return was === undefined ? [] : [was];
    const cur = this.byOwner.get(owner);
    if (cur === undefined || (!(cur instanceof Map) && cur.key === key)) this.byOwner.set(owner, { key, obj });
    else if (cur instanceof Map) cur.set(key, obj);
    else this.byOwner.set(owner, new Map([[cur.key, cur.obj], [key, obj]]));
    this.ownerOf.set(key, owner);
    return was !== undefined && was !== owner ? [was, owner] : [owner];
  }

  /** The slices naming `owner`. */
  of(owner: string): T[] {
    const cur = this.byOwner.get(owner);
    return cur === undefined ? [] : cur instanceof Map ? [...cur.values()] : [cur.obj];
  }

  private remove(owner: string, key: string): void {
    const cur = this.byOwner.get(owner);
    if (cur === undefined) return;
    if (!(cur instanceof Map)) { if (cur.key === key) this.byOwner.delete(owner); return; }
    cur.delete(key);
    if (cur.size === 1) { const [k, obj] = cur.entries().next().value!; this.byOwner.set(owner, { key: k, obj }); }
  }
}
