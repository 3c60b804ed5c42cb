// Many netlink messages packed back to back in one growing buffer: a batch of
// 20,000 route changes is one allocation and, per sendmsg, one contiguous
// slice — not 20,000 small Buffers for the collector and the addon to walk.

export class Packer {
  buf: Buffer;
  /** Bytes used. */
  length = 0;
  /** Start of each message. */
  readonly starts: number[] = [];

  constructor(capacity = 64 << 10) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Copies ready-made messages (each a whole nlmsg) into a new Packer. */
  static of(msgs: readonly Buffer[]): Packer {
    const p = new Packer(Math.max(64, msgs.reduce((n, m) => n + m.length, 0)));
    for (const m of msgs) m.copy(p.buf, p.add(m.length));
    return p;
  }

  get count(): number {
    return this.starts.length;
  }

  /** Room for one more message of `n` bytes (a multiple of 4); returns its offset. */
  add(n: number): number {
    if (this.length + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    const off = this.length;
    this.starts.push(off);
    this.length += n;
    return off;
  }

  /** Takes back the last message (its encoder found the input invalid). */
  dropLast(): void {
    this.length = this.starts.pop() ?? 0;
  }

  end(i: number): number {
    return i + 1 < this.starts.length ? this.starts[i + 1]! : this.length;
  }
}
