// A long-lived rtnetlink request socket over the netlink package's raw socket.
//
// - Every request has a deadline: a reply lost to a receive-buffer overflow
//   never comes, so waiting without one can hang forever.
// - Batches: many requests go out in one sendmsg (the kernel handles the
//   messages of one datagram in order, inside the call). Only the last of a
//   chunk asks for an ACK; the kernel reports every failing one anyway, and
//   those reports are queued before the last ACK, so that ACK closes the chunk.
// - Bounded in flight: what may still be answered fits the receive buffer
//   even if every request fails (an error carries a copy of its request).
// - Our port is read once (no getsockname per send); seq and port are stamped
//   into the messages here.
// - Listeners never throw: an exception inside a netlink callback aborts the
//   process. Socket errors (ENOBUFS included) fail whatever is pending.

import { Protocol, RawNetlinkSocket } from 'netlink';
import { errnoName, NetlinkError, toNetlinkError } from './errors.ts';
import { Packer } from './packer.ts';
import { DEFAULT_TIMEOUT_MS } from './settings.ts';
import {
  forEachMessage,
  NLM_F_ACK,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLMSG_OVERRUN,
  readErrorCode,
  readErrorSeq,
  stamp,
} from './wire.ts';

export { DEFAULT_TIMEOUT_MS };

export interface RtnlSocketOptions {
  /** Deadline of one request, one chunk of a batch, or one quiet gap in a dump. */
  readonly timeoutMs?: number;
  /** SO_RCVBUF asked for; the kernel caps it at net.core.rmem_max (times two). */
  readonly recvBufferSize?: number;
  /** Requests of a batch per sendmsg. */
  readonly chunkSize?: number;
}

/** Visits one message of a reply (a dump part or a single answer). Must not throw. */
export type Visit = (buf: Buffer, off: number, len: number, type: number) => void;

interface Single {
  readonly kind: 'single';
  readonly what: string;
  readonly visit: Visit | undefined;
  readonly resolve: () => void;
  readonly reject: (e: NetlinkError) => void;
  timer: NodeJS.Timeout | undefined;
}

interface Dump {
  readonly kind: 'dump';
  readonly what: string;
  readonly visit: Visit;
  readonly resolve: (r: { interrupted: boolean }) => void;
  readonly reject: (e: NetlinkError) => void;
  timer: NodeJS.Timeout | undefined;
  interrupted: boolean;
}

interface Chunk {
  readonly first: number;
  readonly count: number;
  readonly results: Int32Array;
  readonly base: number; // index of `first` in results
  readonly what: string;
  readonly done: () => void;
  readonly fail: (e: NetlinkError) => void;
  timer: NodeJS.Timeout | undefined;
}

// A failed request's error message holds a copy of the request; with its skb
// overhead, ~1 KiB each is a safe bound for what one answer takes.
const ANSWER_BYTES = 1024;

export class RtnlSocket {
  readonly port: number;
  readonly timeoutMs: number;
  /** The receive buffer the kernel granted (bytes). */
  readonly recvBufferSize: number;
  readonly #raw: RawNetlinkSocket;
  readonly #pending = new Map<number, Single | Dump>();
  readonly #chunks: Chunk[] = [];
  readonly #waiting: (() => void)[] = [];
  readonly #chunkSize: number;
  /** Requests of batches that may be unanswered at once. */
  readonly maxInFlight: number;
  /** The most that ever were (tests, metrics). */
  peakInFlight = 0;
  #inFlight = 0;
  #seq = 1;
  #closed: NetlinkError | undefined;

  constructor(opts: RtnlSocketOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      this.#raw = new RawNetlinkSocket(Protocol.ROUTE, { recvBufferSize: opts.recvBufferSize ?? 4 << 20, sendBufferSize: 1 << 20 });
      this.port = this.#raw.address().port;
      this.recvBufferSize = this.#raw.getRecvBufferSize();
    } catch (e) {
      throw toNetlinkError('opening an rtnetlink socket', e);
    }
    this.maxInFlight = Math.max(16, Math.min(4096, Math.floor(this.recvBufferSize / ANSWER_BYTES)));
    this.#chunkSize = Math.max(1, Math.min(opts.chunkSize ?? 256, this.maxInFlight));
    this.#raw.on('message', (buf: Buffer) => {
      try {
        this.#receive(buf);
      } catch (e) {
        this.#failAll(toNetlinkError('reading an rtnetlink reply', e));
      }
    });
    this.#raw.on('truncatedMessage', () => this.#failAll(new NetlinkError('reading an rtnetlink reply', 'EOTHER', { detail: 'truncated reply' })));
    this.#raw.on('error', (err: Error & { code?: string }) => {
      const e = toNetlinkError('rtnetlink socket', err);
      if (err.code === 'ENOBUFS') this.#failAll(e); // answers may be lost; the socket still works
      else this.#close(e);
    });
    this.#raw.unref();
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** One request, answered by an ACK (or, with `visit`, by a reply message first). */
  request(msg: Buffer, what: string, visit?: Visit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#closed) return reject(this.#closed);
      const seq = this.#nextSeq();
      stamp(msg, seq, this.port, NLM_F_ACK);
      const p: Single = { kind: 'single', what, visit, resolve, reject, timer: undefined };
      this.#track(seq, p);
      this.#send(msg, (e) => e && this.#settle(seq, e));
    });
  }

  /** A dump request; `visit` sees every part. Resolves at NLMSG_DONE. */
  dump(msg: Buffer, what: string, visit: Visit): Promise<{ interrupted: boolean }> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(this.#closed);
      const seq = this.#nextSeq();
      stamp(msg, seq, this.port);
      const p: Dump = { kind: 'dump', what, visit, resolve, reject, timer: undefined, interrupted: false };
      this.#track(seq, p);
      this.#send(msg, (e) => e && this.#settle(seq, e));
    });
  }

  /**
   * Sends many requests; resolves with one result per request: 0 for done,
   * else the positive errno the kernel answered. Rejects (NetlinkError) only
   * when answers are unknown: deadline, ENOBUFS, closed socket — then any
   * part of the batch may or may not have been applied.
   */
  async batch(messages: Packer | readonly Buffer[], what: string): Promise<Int32Array> {
    const msgs = messages instanceof Packer ? messages : Packer.of(messages);
    const results = new Int32Array(msgs.count);
    const sent: Promise<void>[] = [];
    let failure: NetlinkError | undefined;
    for (let i = 0; i < msgs.count && !failure; i += this.#chunkSize) {
      const n = Math.min(this.#chunkSize, msgs.count - i);
      while (this.#inFlight + n > this.maxInFlight && !this.#closed && !failure) await new Promise<void>((r) => this.#waiting.push(r));
      if (this.#closed) failure ??= this.#closed;
      if (failure) break;
      // A failure stops the rest: its cause (ENOBUFS, deadline) makes every answer unknown.
      sent.push(this.#sendChunk(msgs, i, n, results, what).catch((e: NetlinkError) => void (failure ??= e)));
    }
    await Promise.all(sent);
    if (failure) throw failure;
    return results;
  }

  close(): void {
    this.#close(new NetlinkError('rtnetlink socket', 'EBADF', { detail: 'closed' }));
  }

  #sendChunk(msgs: Packer, base: number, count: number, results: Int32Array, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Sequence numbers of a chunk are consecutive (the answers are matched by range).
      if (this.#seq > 0xffffffff - count) this.#seq = 1;
      const first = this.#seq;
      for (let k = 0; k < count; k++) stamp(msgs.buf, this.#nextSeq(), this.port, k === count - 1 ? NLM_F_ACK : 0, msgs.starts[base + k]!);
      const iov = msgs.buf.subarray(msgs.starts[base]!, msgs.end(base + count - 1));
      this.#inFlight += count;
      if (this.#inFlight > this.peakInFlight) this.peakInFlight = this.#inFlight;
      const chunk: Chunk = {
        first,
        count,
        results,
        base,
        what,
        timer: undefined,
        done: () => {
          this.#endChunk(chunk);
          resolve();
        },
        fail: (e) => {
          this.#endChunk(chunk);
          reject(e);
        },
      };
      chunk.timer = setTimeout(() => chunk.fail(new NetlinkError(what, 'ETIMEDOUT', { detail: `no reply within ${this.timeoutMs} ms` })), this.timeoutMs);
      this.#chunks.push(chunk);
      this.#ref();
      this.#send(iov, (e) => {
        if (e) chunk.fail(toNetlinkError(what, e));
      });
    });
  }

  #endChunk(chunk: Chunk): void {
    const i = this.#chunks.indexOf(chunk);
    if (i < 0) return;
    this.#chunks.splice(i, 1);
    clearTimeout(chunk.timer);
    this.#inFlight -= chunk.count;
    const waiting = this.#waiting.splice(0);
    for (const w of waiting) w();
    this.#unrefIfIdle();
  }

  #send(data: Buffer | Buffer[], cb: (e?: Error) => void): void {
    try {
      this.#raw.send(data, undefined, (e) => {
        try {
          cb(e);
        } catch {
          // never throw into the addon
        }
      });
    } catch (e) {
      cb(e as Error);
    }
  }

  #nextSeq(): number {
    const s = this.#seq;
    this.#seq = s === 0xffffffff ? 1 : s + 1;
    return s;
  }

  #track(seq: number, p: Single | Dump): void {
    this.#pending.set(seq, p);
    this.#armTimer(seq, p);
    this.#ref();
  }

  #armTimer(seq: number, p: Single | Dump): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(
      () => this.#settle(seq, new NetlinkError(p.what, 'ETIMEDOUT', { detail: `no reply within ${this.timeoutMs} ms` })),
      this.timeoutMs,
    );
  }

  /** Ends request `seq`: success without `e`. */
  #settle(seq: number, e?: Error, interrupted?: boolean): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    clearTimeout(p.timer);
    this.#unrefIfIdle();
    if (e) p.reject(toNetlinkError(p.what, e));
    else if (p.kind === 'dump') p.resolve({ interrupted: interrupted === true || p.interrupted });
    else p.resolve();
  }

  #receive(buf: Buffer): void {
    forEachMessage(buf, (off, len, type) => {
      const seq = buf.readUInt32LE(off + 8);
      if (type === NLMSG_ERROR) {
        const code = readErrorCode(buf, off);
        const reqSeq = len >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN ? readErrorSeq(buf, off) : seq;
        if (this.#pending.has(reqSeq)) {
          this.#settle(reqSeq, code === 0 ? undefined : new NetlinkError(this.#pending.get(reqSeq)!.what, errnoName(code)));
          return;
        }
        const chunk = this.#chunkOf(reqSeq);
        if (!chunk) return; // a late answer to something already failed
        const k = (reqSeq - chunk.first) >>> 0;
        chunk.results[chunk.base + k] = code;
        if (k === chunk.count - 1) chunk.done();
        return;
      }
      const p = this.#pending.get(seq);
      if (!p) return;
      if (type === NLMSG_DONE) {
        const status = len >= NLMSG_HDRLEN + 4 ? -buf.readInt32LE(off + NLMSG_HDRLEN) : 0;
        this.#settle(seq, status > 0 ? new NetlinkError(p.what, errnoName(status)) : undefined, (buf.readUInt16LE(off + 6) & NLM_F_DUMP_INTR) !== 0);
        return;
      }
      if (type === NLMSG_OVERRUN) {
        this.#settle(seq, new NetlinkError(p.what, 'ENOBUFS', { detail: 'overrun' }));
        return;
      }
      if (p.kind === 'dump') {
        if (buf.readUInt16LE(off + 6) & NLM_F_DUMP_INTR) p.interrupted = true;
        this.#armTimer(seq, p); // a dump's deadline counts from its last part
      }
      p.visit?.(buf, off, len, type);
    });
  }

  #chunkOf(seq: number): Chunk | undefined {
    for (const c of this.#chunks) if ((seq - c.first) >>> 0 < c.count) return c;
    return undefined;
  }

  #failAll(e: NetlinkError): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, e);
    for (const c of [...this.#chunks]) c.fail(e);
  }

  #close(e: NetlinkError): void {
    if (this.#closed) return;
    this.#closed = e;
    this.#failAll(e);
    for (const w of this.#waiting.splice(0)) w();
    try {
      this.#raw.close();
    } catch {
      // already closed by the addon after a fatal error
    }
  }

  #refd = false;
  #ref(): void {
    if (!this.#refd && !this.#closed) {
      this.#refd = true;
      this.#raw.ref();
    }
  }

  #unrefIfIdle(): void {
    if (this.#refd && this.#pending.size === 0 && this.#chunks.length === 0 && !this.#closed) {
      this.#refd = false;
      this.#raw.unref();
    }
  }
}
