// Which server frames the page has already processed. Every frame of a session carries its
// `seq` (1, 2, 3, ... across the session's connections), and a resume replays exactly the
// frames after the lastSeq it names; a frame at or below the highest seq processed can only
// be a duplicate, so it is dropped (a defence: the gateway promises not to send one). Pure;
// session_keeper.js holds the one the page uses.

export class SeqGate {
  #lastSeq;

  constructor(lastSeq = 0) {
    this.#lastSeq = validSeq(lastSeq);
  }

  // The highest seq processed: what a resume names as lastSeq.
  get lastSeq() { return this.#lastSeq; }

  // Whether to process `frame`; if so, its seq counts as processed. A frame without a seq
  // (an older gateway) is always processed and changes nothing.
  admit(frame) {
    const seq = frame?.seq;
    if (!Number.isSafeInteger(seq) || seq < 1) return true;
    if (seq <= this.#lastSeq) return false;
    this.#lastSeq = seq;
    return true;
  }

  // Another session (a fresh one), whose frames up to `lastSeq` were processed.
  reset(lastSeq = 0) {
    this.#lastSeq = validSeq(lastSeq);
  }
}

function validSeq(seq) {
  return Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
}
