/**
 * Cuts scanned text into the candidates `secretctl scan` checks, and checks each against the
 * index (its length first, so that nearly every candidate costs one array lookup). A value is
 * found when, on one line, it is
 *   - a run of non-blank bytes (a value alone on a line, a line of a PEM block), or in such a run:
 *     what follows its first `=` or `:` (`KEY=VALUE`; a trailing `,` or `;` and one pair of quotes
 *     taken off), a string between two quotes of one kind (`"…"`, `'…'`, `` `…` ``), a token
 *     between quotes and `,;()[]{}<>` (with a trailing `.` or without);
 *   - a part of such a token between `=:@/?&#|` (`--token=VALUE`, `user:PASSWORD@host`);
 *   - for values with blanks inside (only then are lines looked at as a whole): the whole line
 *     trimmed, what follows its first `=` or `:` (trimmed, without a trailing `,` or `;` and one
 *     pair of quotes), or a quoted string.
 * Not found: a value split across lines (a string concatenated in code, a value escaped into a JSON
 * string with `\n`), a value with an escaped quote inside quotes, a value in a binary file or an
 * encoded form (base64 of it, URL-encoded), and values glued to other text without a separator.
 *
 * Speed: a recorded value without blanks lies inside one run of non-blank bytes at least as long
 * as the shortest such value (m). The scan looks at windows of m bytes from the end back: the last
 * blank in a window means no run starting before it is m bytes long, and the next window starts
 * after it (the bytes between, known non-blank, are not read again); a window without a blank is
 * the start of a run of m bytes or more, which is cut into candidates. Each byte is read at most
 * once, and with values of 20 bytes and more most of a source tree's bytes are never read. Lines
 * are found with memchr (Buffer#indexOf) only when a hit needs its line number.
 */
/**
 * What the scan looks for, as the cutting needs it: the lengths worth a look, and a check of one
 * candidate. The index of the state's records is one (it answers with the recorded texts); a
 * scanning thread's filter is another (it answers with the candidate itself, for the index to check).
 */
export interface CandidateMatcher<T> {
  /** lengthOk[n] is 1 when some recorded text is n bytes long. */
  readonly lengthOk: Uint8Array
  readonly minLength: number
  readonly maxLength: number
  /** The shortest recorded text without a blank inside. */
  readonly minSolid: number
  /** The shortest recorded text with a blank inside, or Infinity. */
  readonly minSpaced: number
  /** What bytes[start, end) matched (its length is one of lengthOk's), if anything. */
  match(bytes: Uint8Array, start: number, end: number): T | undefined
}

const TOKEN = 0
/** Ends a token inside a run: brackets and the like. */
const SEPARATOR = 1
const QUOTE = 2
/** Ends a part of a token (the token goes on). */
const PART = 3

/** Blanks: they end runs. */
const BLANK = new Uint8Array(256)
for (const c of ' \t\r\n\f\v') BLANK[c.charCodeAt(0)] = 1

const CLASS = new Uint8Array(256)
for (const c of ',;()[]{}<>') CLASS[c.charCodeAt(0)] = SEPARATOR
for (const c of '"\'`') CLASS[c.charCodeAt(0)] = QUOTE
for (const c of '=:@/?&#|') CLASS[c.charCodeAt(0)] = PART

const NEWLINE = 10
const SPACE = 32
const TAB = 9
const CR = 13
const EQUALS = 61
const COLON = 58
const COMMA = 44
const SEMICOLON = 59
const DOT = 46

/** Told of each hit: the byte offset it starts at, its length, and what the matcher answered. */
export type HitHandler<T> = (offset: number, found: T, length: number) => void

/** Looks for the index's texts in bytes[start, end); `hit` gets the offset of each candidate that matched. */
export function findInText<T>(index: CandidateMatcher<T>, bytes: Uint8Array, start: number, end: number, hit: HitHandler<T>): void {
  const m = index.minSolid
  if (m <= index.maxLength) {
    // i is where a run may start (the text's start, or just after a blank); bytes[i, solid) are known non-blank.
    let i = start
    let solid = start
    while (i + m <= end) {
      // The last blank in bytes[i, i + m), looked for from its end back to what is known: no run that
      // starts before it is m bytes long, so the next window starts after it.
      let b = i + m - 1
      for (; b >= solid; b--) {
        // Most bytes are above a space: one comparison, the table only for the others.
        const c = bytes[b] as number
        if (c <= SPACE && BLANK[c] === 1) break
      }
      if (b >= solid) {
        solid = i + m
        i = b + 1
        continue
      }
      let e = i + m
      while (e < end && BLANK[bytes[e] as number] === 0) e++
      inRun(index, bytes, i, e, hit)
      i = solid = e + 1
    }
  }
  if (index.minSpaced <= index.maxLength) byLines(index, bytes, start, end, hit)
}

function check<T>(index: CandidateMatcher<T>, bytes: Uint8Array, s: number, e: number, hit: HitHandler<T>): void {
  const n = e - s
  if (n < index.minLength || n > index.maxLength || index.lengthOk[n] !== 1) return
  const found = index.match(bytes, s, e)
  if (found !== undefined) hit(s, found, n)
}

/**
 * The candidates of one run of non-blank bytes: the run, what follows its first `=` or `:`, its
 * tokens (with and without a trailing dot), their parts, quoted strings.
 */
function inRun<T>(index: CandidateMatcher<T>, bytes: Uint8Array, start: number, end: number, hit: HitHandler<T>): void {
  check(index, bytes, start, end, hit)
  let tokenStart = start
  let partStart = start
  let parted = false
  let assign = -1
  let openDouble = -1
  let openSingle = -1
  let openBack = -1
  for (let i = start; i <= end; i++) {
    const c = i < end ? (CLASS[bytes[i] as number] as number) : SEPARATOR
    if (c === TOKEN) continue
    if (c === PART) {
      if (i > partStart) check(index, bytes, partStart, i, hit)
      partStart = i + 1
      parted = true
      if (assign < 0 && (bytes[i] === EQUALS || bytes[i] === COLON)) assign = i
      continue
    }
    if (i > tokenStart) {
      if (tokenStart > start || i < end) check(index, bytes, tokenStart, i, hit)
      if (bytes[i - 1] === DOT) check(index, bytes, tokenStart, i - 1, hit)
    }
    if (parted && i > partStart) check(index, bytes, partStart, i, hit)
    tokenStart = partStart = i + 1
    parted = false
    if (c === QUOTE) {
      const b = bytes[i]
      const open = b === 34 ? openDouble : b === 39 ? openSingle : openBack
      if (open >= 0) check(index, bytes, open + 1, i, hit)
      const next = open >= 0 ? -1 : i
      if (b === 34) openDouble = next
      else if (b === 39) openSingle = next
      else openBack = next
    }
  }
  if (assign >= 0) rightHandSide(index, bytes, assign + 1, end, hit)
}

/** What follows `=` or `:` up to `end`: blanks trimmed, a trailing `,` or `;` and one pair of quotes taken off. */
function rightHandSide<T>(index: CandidateMatcher<T>, bytes: Uint8Array, from: number, to: number, hit: HitHandler<T>): void {
  let s = from
  let e = to
  while (s < e && (bytes[s] === SPACE || bytes[s] === TAB)) s++
  if (e > s && (bytes[e - 1] === COMMA || bytes[e - 1] === SEMICOLON)) e--
  while (e > s && (bytes[e - 1] === SPACE || bytes[e - 1] === TAB)) e--
  if (e - s >= 2 && CLASS[bytes[s] as number] === QUOTE && bytes[e - 1] === bytes[s]) {
    s++
    e--
  }
  check(index, bytes, s, e, hit)
}

/** For values with blanks inside: each line as a whole, what follows its first `=` or `:`, and its quoted strings. */
function byLines<T>(index: CandidateMatcher<T>, bytes: Uint8Array, start: number, end: number, hit: HitHandler<T>): void {
  const min = index.minSpaced
  let lineStart = start
  while (lineStart < end) {
    let lineEnd = indexOfByte(bytes, NEWLINE, lineStart, end)
    const next = lineEnd + 1
    if (lineEnd - lineStart >= min) {
      if (bytes[lineEnd - 1] === CR) lineEnd--
      let s = lineStart
      let e = lineEnd
      while (s < e && (bytes[s] === SPACE || bytes[s] === TAB)) s++
      while (e > s && (bytes[e - 1] === SPACE || bytes[e - 1] === TAB)) e--
      check(index, bytes, s, e, hit)
      let assign = -1
      const open = [-1, -1, -1]
      for (let i = s; i < e; i++) {
        const b = bytes[i] as number
        if (assign < 0 && (b === EQUALS || b === COLON)) assign = i
        if (CLASS[b] !== QUOTE) continue
        const q = b === 34 ? 0 : b === 39 ? 1 : 2
        if ((open[q] as number) >= 0) {
          check(index, bytes, (open[q] as number) + 1, i, hit)
          open[q] = -1
        } else open[q] = i
      }
      if (assign >= 0) rightHandSide(index, bytes, assign + 1, e, hit)
    }
    lineStart = next
  }
}

/** The offset of the first `byte` in bytes[from, to), or `to`: memchr through Buffer#indexOf, on a view that ends at `to`. */
export function indexOfByte(bytes: Uint8Array, byte: number, from: number, to: number): number {
  const found = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).indexOf(byte)
  return found < 0 ? to : from + found
}

/**
 * Line numbers of offsets in one text (the hits of a scan): counts the newlines between the last
 * offset asked and this one with memchr, so a text without hits costs nothing. Cheapest when asked
 * in increasing order; an earlier offset counts again from the start.
 */
export class LineCounter {
  private offset: number
  private line: number

  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly firstLine = 1,
  ) {
    this.offset = start
    this.line = firstLine
  }

  lineOf(offset: number): number {
    if (offset < this.offset) {
      this.offset = this.start
      this.line = this.firstLine
    }
    let at = this.offset
    for (;;) {
      const nl = indexOfByte(this.bytes, NEWLINE, at, offset)
      if (nl >= offset) break
      this.line++
      at = nl + 1
    }
    this.offset = offset
    return this.line
  }
}
