// The set of open associations: counts for the limits check, rows for /api/associations and the
// status page, recent rejections. One instance per gateway process, shared across config reloads.
import type { AssociationInfo, RejectionInfo } from '../admin/types.ts';

export interface TrackedAssociation {
  info(): AssociationInfo;
  /** Node the association is relayed to (null: answered by the gateway, or not decided yet). */
  readonly nodeName: string | null;
  /** Ends the association with A-ABORT to both sides (drain deadline, shutdown). */
  abort(reason: string): void;
  /** Resolves when both legs are closed. */
  readonly closed: Promise<void>;
}

const MAX_REJECTIONS = 100;

export class AssociationRegistry {
  private readonly open = new Set<TrackedAssociation>();
  private readonly recent: RejectionInfo[] = [];

  add(a: TrackedAssociation): void {
    this.open.add(a);
  }
  remove(a: TrackedAssociation): void {
    this.open.delete(a);
  }
  get size(): number {
    return this.open.size;
  }
  countForNode(node: string): number {
    let n = 0;
    for (const a of this.open) if (a.nodeName === node) n++;
    return n;
  }
  all(): TrackedAssociation[] {
    return [...this.open];
  }
  infos(): AssociationInfo[] {
    return this.all().map((a) => a.info());
  }
  recordRejection(r: RejectionInfo): void {
    this.recent.unshift(r);
    if (this.recent.length > MAX_REJECTIONS) this.recent.length = MAX_REJECTIONS;
  }
  rejections(): RejectionInfo[] {
    return [...this.recent];
  }
}
