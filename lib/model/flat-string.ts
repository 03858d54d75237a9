// Strings the model keeps for as long as a Service exists (set members, virtual server keys,
// Service ids) are built by concatenation, which V8 stores as a tree of pieces: about 100 bytes
// for "10.96.0.1,tcp:80". Reading a character flattens the tree into one string, and the garbage
// collector then drops the pieces: half the memory (measured: 107 -> 54 bytes a string).

export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}
