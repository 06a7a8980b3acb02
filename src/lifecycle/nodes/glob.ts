// A glob of node names (`*` any run of characters, `?` one) matched in linear time, without backtracking: a
// regular expression built from the pattern (`.*.*.*...`) backtracks exponentially on a name it does not match, so a
// run target of repeated `*` used to hang labforge. Here the pattern is cut at its stars into literal pieces (where
// `?` matches any one character); the first piece must start the name, the last must end it, and each piece between
// is taken at its leftmost place after the one before (a leftmost place never loses a match a later one would find).
// Every character of the name is looked at once per piece that starts there: O(name x longest piece), no retries.

/** The longest pattern a TARGETS word may be (node names are at most 63 characters). */
export const GLOB_MAX_LENGTH = 256;

/** Whether `piece` (literal characters and `?`) matches `name` at `at`. */
function pieceAt(name: string, piece: string, at: number): boolean {
  if (at + piece.length > name.length) return false;
  for (let i = 0; i < piece.length; i++) if (piece[i] !== '?' && piece[i] !== name[at + i]) return false;
  return true;
}

/** The leftmost place at or after `from` where `piece` matches, or -1. */
function findPiece(name: string, piece: string, from: number): number {
  if (!piece.includes('?')) return name.indexOf(piece, from);
  for (let at = from; at + piece.length <= name.length; at++) if (pieceAt(name, piece, at)) return at;
  return -1;
}

/** Whether the glob `pattern` matches all of `name`. Characters are UTF-16 units; node names are ASCII. */
export function globMatch(pattern: string, name: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern.length === name.length && pieceAt(name, pattern, 0);
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (first.length + last.length > name.length) return false;
  if (!pieceAt(name, first, 0) || !pieceAt(name, last, name.length - last.length)) return false;
  let at = first.length;
  // The pieces between must fit before the last piece's place.
  const middle = name.slice(0, name.length - last.length);
  for (let k = 1; k < pieces.length - 1; k++) {
    const piece = pieces[k];
    if (piece === '') continue; // `**`: one star
    const found = findPiece(middle, piece, at);
    if (found === -1) return false;
    at = found + piece.length;
  }
  return true;
}
