/**
 * Texts of files handed from a reading thread to the main thread over shared memory (scan-files.ts).
 *
 * Why: on a machine with few cores, two threads that each read and match files are slower than one
 * thread that reads and one that matches. Reading is nearly all kernel work, and the kernel's
 * per-file work grows by a third or more when two threads open and read files at once (shared
 * counters and caches), while matching is plain computation. So a worker reads files into this ring
 * and the main thread matches them; the main thread reads files itself only while the ring is
 * empty, and the worker matches a file itself only while the ring is full, so neither waits.
 *
 * The ring is a few slots of shared memory. The worker fills a slot with whole texts one after
 * another, then publishes it; the main thread takes published slots in order and frees them. A slot
 * is in one thread's hands at a time, handed over with an atomic store of its state.
 */
export const RING_SLOTS = 8
export const SLOT_BYTES = 1024 * 1024
/** Texts in one slot at most (the record of each is two numbers). */
const SLOT_TEXTS = 1024
/** A slot with less room than this is published: a larger file would not fit, and small files are the common case. */
const MIN_ROOM = 64 * 1024

const FREE = 0
const FULL = 1
/** control[CLOSED] is 1 once the writer is done. */
const CLOSED = 0
/** control[STATE + s]: slot s is FREE (the writer's) or FULL (the reader's). */
const STATE = 1

/** What a ring is made of, as a worker receives it. */
export interface TextRingData {
  /** RING_SLOTS × SLOT_BYTES bytes of text. */
  texts: SharedArrayBuffer
  /** The closed flag, each slot's state, and each slot's records: its count, then (file, length) pairs. */
  control: SharedArrayBuffer
}

export function newTextRing(): TextRingData {
  return {
    texts: new SharedArrayBuffer(RING_SLOTS * SLOT_BYTES),
    control: new SharedArrayBuffer(4 * (STATE + RING_SLOTS + RING_SLOTS * (1 + 2 * SLOT_TEXTS))),
  }
}

const recordsAt = (slot: number) => STATE + RING_SLOTS + slot * (1 + 2 * SLOT_TEXTS)

/**
 * The reading thread's side. `wake` (one Int32 over shared memory, shared by every ring of a scan) is
 * bumped and notified at each slot published and at the close, for a reader waiting on it.
 */
export class TextRingWriter {
  /** The texts' memory: a text goes to bytes[offset, offset + room). */
  readonly bytes: Buffer
  private readonly control: Int32Array
  private slot = 0
  private used = 0
  private count = 0

  constructor(
    ring: TextRingData,
    private readonly wake: Int32Array,
  ) {
    this.bytes = Buffer.from(ring.texts)
    this.control = new Int32Array(ring.control)
  }

  /** Where the next text goes in `bytes`. */
  get offset(): number {
    return this.slot * SLOT_BYTES + this.used
  }

  /**
   * The bytes the next text may take at `offset`: a slot with less room left is published first, and
   * 0 means every slot waits for the reader (the caller then matches the file itself).
   */
  room(): number {
    if (this.count > 0 && (SLOT_BYTES - this.used < MIN_ROOM || this.count === SLOT_TEXTS)) this.publish()
    if (Atomics.load(this.control, STATE + this.slot) !== FREE) return 0
    return SLOT_BYTES - this.used
  }

  /** Records the text of `file` just put at `offset`, `length` bytes (less than room() said: a text that filled it may be longer). */
  add(file: number, length: number): void {
    const at = recordsAt(this.slot) + 1 + 2 * this.count
    this.control[at] = file
    this.control[at + 1] = length
    this.count++
    this.used += length
  }

  /** Hands the texts recorded to the reader (nothing when there are none). */
  publish(): void {
    if (this.count === 0) return
    this.control[recordsAt(this.slot)] = this.count
    Atomics.store(this.control, STATE + this.slot, FULL)
    this.signal()
    this.slot = (this.slot + 1) % RING_SLOTS
    this.used = 0
    this.count = 0
  }

  /** Publishes what is recorded and tells the reader that no more will come. */
  close(): void {
    this.publish()
    Atomics.store(this.control, CLOSED, 1)
    this.signal()
  }

  private signal(): void {
    Atomics.add(this.wake, 0, 1)
    Atomics.notify(this.wake, 0)
  }
}

/** Told of each text of a slot: its file's index in the list, and where it is (bytes[start, end)). */
export type TextHandler = (file: number, bytes: Buffer, start: number, end: number) => void

/** The main thread's side: it takes the published slots in order. */
export class TextRingReader {
  private readonly bytes: Buffer
  private readonly control: Int32Array
  private slot = 0

  constructor(ring: TextRingData) {
    this.bytes = Buffer.from(ring.texts)
    this.control = new Int32Array(ring.control)
  }

  /** Hands each text of the next published slot to `each` and frees the slot; false when none is published. */
  take(each: TextHandler): boolean {
    if (Atomics.load(this.control, STATE + this.slot) !== FULL) return false
    const records = recordsAt(this.slot)
    const count = this.control[records] as number
    let start = this.slot * SLOT_BYTES
    for (let t = 0; t < count; t++) {
      const end = start + (this.control[records + 2 + 2 * t] as number)
      each(this.control[records + 1 + 2 * t] as number, this.bytes, start, end)
      start = end
    }
    Atomics.store(this.control, STATE + this.slot, FREE)
    this.slot = (this.slot + 1) % RING_SLOTS
    return true
  }

  /** The writer has closed the ring and every slot it published has been taken. */
  get done(): boolean {
    return Atomics.load(this.control, CLOSED) === 1 && Atomics.load(this.control, STATE + this.slot) !== FULL
  }
}
