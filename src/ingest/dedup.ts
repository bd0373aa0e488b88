/**
 * Exact-duplicate detection for play records, in bounded memory.
 *
 * Choice: every string field is first interned to an integer code (interning is exact),
 * so a record is a tuple of ~25 integers/doubles. That tuple is hashed into two
 * independent 32-bit lanes and only the 64-bit pair is kept, in an open-addressing
 * table of two Uint32Arrays: ~16 bytes per record, no per-key objects. A Set of joined
 * strings would cost ~300 bytes per record (300 MB at 1M plays); a 53-bit Set<number>
 * boxes every key. The price is a false "duplicate" when two different records share
 * all 64 bits: probability ≈ n²/2⁶⁵ ≈ 3·10⁻⁸ for a 1M-play export.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Streaming 2×32-bit hasher (murmur3-style mixing with different constants per lane). */
export class KeyHasher {
  a = 0;
  b = 0;
  private count = 0;

  start(): void {
    this.a = 0x811c9dc5;
    this.b = 0x2545f491;
    this.count = 0;
  }

  addInt(k: number): void {
    let a = Math.imul(this.a ^ k, 0xcc9e2d51);
    a = (a << 15) | (a >>> 17);
    this.a = (Math.imul(a, 0x1b873593) + 0xe6546b64) | 0;
    let b = Math.imul(this.b ^ k, 0x85ebca77);
    b = (b << 13) | (b >>> 19);
    this.b = (Math.imul(b, 0xc2b2ae3d) + 0x27d4eb2f) | 0;
    this.count++;
  }

  /** Doubles are hashed by their bit pattern; null is a distinct NaN-free marker. */
  addNumber(v: number | null): void {
    if (v === null) {
      this.addInt(0x7ff80001);
      this.addInt(0x5bd1e995);
      return;
    }
    f64[0] = v;
    this.addInt(u32[0]);
    this.addInt(u32[1]);
  }

  finish(): void {
    let a = this.a ^ this.count;
    let b = this.b ^ this.count;
    // Cross-feed the lanes so both halves depend on every input word.
    a = fmix(a + Math.imul(b, 0x9e3779b1));
    b = fmix(b ^ a);
    this.a = a >>> 0;
    this.b = b >>> 0;
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Set of 64-bit keys (given as two uint32). (0,0) marks an empty slot, so it is remapped. */
export class HashSet64 {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds the key; returns false when it was already present. */
  add(hiIn: number, loIn: number): boolean {
    let h = hiIn >>> 0;
    const l = loIn >>> 0;
    if (h === 0 && l === 0) h = 1;
    let i = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
    for (;;) {
      const sh = this.hi[i];
      const sl = this.lo[i];
      if (sh === 0 && sl === 0) break;
      if (sh === h && sl === l) return false;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = h;
    this.lo[i] = l;
    this.size++;
    if (this.size * 2 > this.mask) this.grow();
    return true;
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    const cap = oldHi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oldHi.length; j++) {
      const h = oldHi[j];
      const l = oldLo[j];
      if (h === 0 && l === 0) continue;
      let i = (l ^ Math.imul(h, 0x9e3779b1)) & this.mask;
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & this.mask;
      this.hi[i] = h;
      this.lo[i] = l;
    }
  }
}
