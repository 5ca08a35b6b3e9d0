import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { RECORD_KINDS, type RecordKind, type WriteOp } from './store.js';

/**
 * The write-ahead log: an append-only file of framed records, each one batch of ops.
 * A frame is `[u32 payload length][u32 crc32 of payload][payload]`; a torn or corrupt
 * frame at the tail (a crash mid-append) ends the log, so a batch is all there or absent.
 *
 * Under load that never lets the store catch up, the log cannot be emptied: it is rotated
 * instead. The full file becomes `<path>.old` and appends go on in a fresh one; the old one
 * is deleted once the store holds everything in it. On open both are read, old first.
 */
const HEADER = 8;
type EncodedOp = [kind: number, key: string, value: string | null];

export class WriteAheadLog {
  readonly path: string;
  #fd: number;
  #size: number;
  /** Whether a rotated-out file is still there, waiting for the store to catch up with it. */
  #hasOld: boolean;

  private constructor(path: string, fd: number, size: number, hasOld: boolean) {
    this.path = path;
    this.#fd = fd;
    this.#size = size;
    this.#hasOld = hasOld;
  }

  /** Opens the log, returning it with the batches a previous process left in it, oldest first. */
  static open(path: string): { log: WriteAheadLog; batches: WriteOp[][] } {
    const oldPath = path + '.old';
    const hasOld = existsSync(oldPath);
    // A torn tail of the old file was never followed by anything: rotation waits for no append.
    const old = hasOld ? decodeAll(readFileSync(oldPath)).batches : [];
    const fd = openSync(path, 'a+');
    const { batches, validBytes } = decodeAll(readFileSync(path));
    syncDirectory(path); // the file's directory entry is durable, so an fsync'd append is findable
    const log = new WriteAheadLog(path, fd, validBytes, hasOld);
    if (validBytes !== readFileSync(path).length) ftruncateSync(fd, validBytes); // drop a torn tail
    return { log, batches: [...old, ...batches] };
  }

  /** Bytes in the current file. */
  get size(): number {
    return this.#size;
  }

  get hasOld(): boolean {
    return this.#hasOld;
  }

  /**
   * Moves the current file aside as `<path>.old` and starts a fresh one. The caller deletes
   * the old one ({@link dropOld}) once the store holds every batch in it.
   */
  rotate(): void {
    if (this.#hasOld) throw new Error('the log was rotated already and its old file is still needed');
    renameSync(this.path, this.path + '.old');
    closeSync(this.#fd);
    this.#fd = openSync(this.path, 'a+');
    this.#size = 0;
    this.#hasOld = true;
    syncDirectory(this.path); // both names durable before anything is appended to the new file
  }

  /** Deletes the rotated-out file; call only when every batch in it is safely in the store. */
  dropOld(): void {
    if (!this.#hasOld) return;
    unlinkSync(this.path + '.old');
    this.#hasOld = false;
  }

  /** Appends one batch. On return it is in the OS: it survives the process being killed. */
  append(ops: readonly WriteOp[]): void {
    const encoded: EncodedOp[] = ops.map((op) => [KIND_INDEX[op.kind], op.key, op.type === 'put' ? op.value : null]);
    const json = JSON.stringify(encoded);
    const length = Buffer.byteLength(json);
    const frame = Buffer.allocUnsafe(HEADER + length);
    frame.write(json, HEADER, 'utf8');
    frame.writeUInt32LE(length, 0);
    frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
    let written = 0;
    while (written < frame.length)
      written += writeSync(this.#fd, frame, written, frame.length - written, this.#size + written);
    this.#size += frame.length;
  }

  /**
   * Flushes every append so far to the disk. Synchronous on purpose: measured here, a
   * blocking fdatasync beats the thread-pool one by 2x on dependent chains (no thread hop,
   * no wake-up), and the batch that follows keeps gathering in the mailbox meanwhile.
   */
  sync(): void {
    fdatasyncSync(this.#fd);
  }

  /** Empties the log (both files); call only when every batch in it is safely in the store. */
  truncate(): void {
    this.dropOld();
    ftruncateSync(this.#fd, 0);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function syncDirectory(path: string): void {
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

const KIND_INDEX = Object.fromEntries(RECORD_KINDS.map((k, i) => [k, i])) as Record<RecordKind, number>;

function decodeAll(buf: Buffer): { batches: WriteOp[][]; validBytes: number } {
  const batches: WriteOp[][] = [];
  let offset = 0;
  while (offset + HEADER <= buf.length) {
    const length = buf.readUInt32LE(offset);
    const end = offset + HEADER + length;
    if (end > buf.length) break;
    const payload = buf.subarray(offset + HEADER, end);
    if (crc32(payload) !== buf.readUInt32LE(offset + 4)) break;
    let encoded: EncodedOp[];
    try {
      encoded = JSON.parse(payload.toString('utf8')) as EncodedOp[];
    } catch {
      break;
    }
    batches.push(
      encoded.map(([k, key, value]): WriteOp => {
        const kind = RECORD_KINDS[k] as RecordKind;
        return value === null ? { type: 'del', kind, key } : { type: 'put', kind, key, value };
      }),
    );
    offset = end;
  }
  return { batches, validBytes: offset };
}
