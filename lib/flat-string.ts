// Strings the model keeps for as long as a Service exists (set members, virtual server keys,
// Service ids) are built by concatenation, which V8 stores as a tree of pieces: about 100 bytes
// for "10.96.0.1,tcp:80". Reading a character flattens the tree but leaves a 32-byte cons string
// in front of the flat copy; Array.prototype.join builds one sequential string and nothing else.

/** The same text as one sequential string (strings under 13 characters are made flat already). */
export function flat(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}
