// Arrays the model keeps for as long as a Service exists are stored at their exact length: V8
// gives an array grown by push room for 17 elements, and each Service holds about ten of them
// (tens of MB at 30,000 Services). Empty ones are all one shared frozen array.
const EMPTY: readonly never[] = Object.freeze([]);

export function exact<T>(a: readonly T[]): readonly T[] {
  return a.length === 0 ? EMPTY : a.slice();
}
