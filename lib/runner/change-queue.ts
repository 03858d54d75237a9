// The changes received and not yet programmed: when each happened (for the network programming
// latency) and when the oldest arrived (its wait is logged as queuedMs). A sync takes them all;
// a failed sync puts them back, still timed from when they came.

export interface TakenChanges {
  /** when each endpoint change happened upstream */
  readonly at: readonly number[];
  /** when the first of them was received; undefined when none was */
  readonly received: number | undefined;
}

export class ChangeQueue {
  private at: number[] = [];
  private received: number | undefined;

  /** A change was received; `happened` is when, for changes whose latency is measured. */
  add(happened?: number): void {
    this.received ??= Date.now();
    if (happened !== undefined) this.at.push(happened);
  }

  take(): TakenChanges {
    const taken = { at: this.at, received: this.received };
    this.at = [];
    this.received = undefined;
    return taken;
  }

  /** Changes of a failed sync wait for the next one. */
  putBack(t: TakenChanges): void {
    this.at = t.at.concat(this.at);
    if (t.received !== undefined) this.received = t.received;
  }
}
