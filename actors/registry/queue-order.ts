/** One element's place in line: it is still in line while its record is NEW at this version. */
export interface Place {
  readonly id: string;
  readonly seq: number;
  readonly version: number;
}

/**
 * The NEW elements of one queue (or of one queue and reference) in creation order, oldest
 * first. Elements are created in rising seq, so a deque takes them in O(1); an element set
 * back to NEW (an older seq) goes to a small heap beside it. Places are dropped lazily:
 * `first` skips those `inLine` says have left NEW (claimed, finished, deleted) since.
 */
export class NewOrder {
  #deque: Place[] = [];
  #head = 0;
  readonly #heap: Place[] = [];
  /** Places known to have left the line but still held, so that they are compacted away in time. */
  #dead = 0;

  constructor(private readonly inLine: (place: Place) => boolean) {}

  get held(): number {
    return this.#deque.length - this.#head + this.#heap.length;
  }

  push(place: Place): void {
    const tail = this.#deque[this.#deque.length - 1];
    if (this.#head === this.#deque.length || (tail as Place).seq < place.seq) this.#deque.push(place);
    else heapPush(this.#heap, place);
  }

  /** The oldest place still in line, if any. */
  first(): Place | undefined {
    let d: Place | undefined;
    while ((d = this.#deque[this.#head]) && !this.inLine(d)) this.#skip();
    let h: Place | undefined;
    while ((h = this.#heap[0]) && !this.inLine(h)) {
      heapPop(this.#heap);
      if (this.#dead > 0) this.#dead--;
    }
    if (!d) return h;
    if (!h) return d;
    return d.seq < h.seq ? d : h;
  }

  /** Takes the oldest place still in line out of the line. */
  shift(): Place | undefined {
    const place = this.first();
    if (!place) return undefined;
    if (this.#deque[this.#head] === place) this.#skip(false);
    else heapPop(this.#heap);
    return place;
  }

  /** A place this order holds left the line some other way: compact once most of what it holds is dead. */
  dropped(): void {
    this.#dead++;
    if (this.#dead < 1024 || this.#dead * 2 < this.held) return;
    this.#deque = this.#deque.slice(this.#head).filter(this.inLine);
    this.#head = 0;
    const live = this.#heap.filter(this.inLine);
    this.#heap.length = 0;
    for (const place of live) heapPush(this.#heap, place);
    this.#dead = 0;
  }

  #skip(dead = true): void {
    this.#head++;
    if (dead && this.#dead > 0) this.#dead--;
    if (this.#head === this.#deque.length) {
      this.#deque = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#deque.length) {
      this.#deque = this.#deque.slice(this.#head);
      this.#head = 0;
    }
  }
}

function heapPush(heap: Place[], place: Place): void {
  heap.push(place);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as Place).seq <= place.seq) break;
    heap[i] = heap[parent] as Place;
    i = parent;
  }
  heap[i] = place;
}

function heapPop(heap: Place[]): void {
  const last = heap.pop();
  if (!last || heap.length === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && (heap[r] as Place).seq < (heap[l] as Place).seq ? r : l;
    if ((heap[c] as Place).seq >= last.seq) break;
    heap[i] = heap[c] as Place;
    i = c;
  }
  heap[i] = last;
}
