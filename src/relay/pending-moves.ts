// C-MOVEs the gateway rewrote to its own AE title and is waiting for sub-operations of (CONTRACT
// "C-MOVE across NAT"). Each forwarded C-MOVE-RQ gets a Message ID unique across the gateway, so
// the moving node's C-STORE sub-operations (Move Originator Message ID) and C-MOVE-RSPs (Message
// ID Being Responded To) map back to exactly one caller even when callers' own IDs clash. Shared
// by every association and kept across config reloads.
import type { NodeConfig } from '../config/types.ts';
import type { BridgeTarget } from './get-bridge.ts';

export interface SubOperationCounts {
  completed: number;
  failed: number;
  warning: number;
}

export interface PendingMove {
  /** Message ID of the C-MOVE-RQ as forwarded to the moving node (gateway-unique). */
  readonly id: number;
  readonly movingNode: string;
  /** The caller's Calling AE title and its own Message ID, restored on the way back. */
  readonly callerAe: string;
  readonly callerMessageId: number;
  /** Where the sub-operations go: a destination node (rewriteMoveDestination), or back onto the
   *  caller's own association as C-GET sub-operations (bridgeGetToMove). */
  readonly destination: NodeConfig | null;
  readonly bridge: BridgeTarget | null;
  /** The caller's association, for logs. */
  readonly association: string;
  readonly startedAt: number;
  readonly relayed: SubOperationCounts;
}

export class PendingMoves {
  private readonly moves = new Map<number, PendingMove>();
  private next = 1;

  begin(m: Omit<PendingMove, 'id' | 'startedAt' | 'relayed'>): PendingMove {
    const id = this.allocate();
    const move: PendingMove = { ...m, id, startedAt: Date.now(), relayed: { completed: 0, failed: 0, warning: 0 } };
    this.moves.set(id, move);
    return move;
  }

  end(id: number): void {
    this.moves.delete(id);
  }

  get(id: number): PendingMove | undefined {
    return this.moves.get(id);
  }

  forNode(movingNode: string): PendingMove[] {
    return [...this.moves.values()].filter((m) => m.movingNode === movingNode);
  }

  get size(): number {
    return this.moves.size;
  }

  /** Message IDs are US (1..65535, PS3.7 E.1-1); skip any still pending. */
  private allocate(): number {
    if (this.moves.size >= 65535) throw new Error('no free C-MOVE Message ID: 65535 moves pending');
    for (;;) {
      const id = this.next;
      this.next = this.next >= 65535 ? 1 : this.next + 1;
      if (!this.moves.has(id)) return id;
    }
  }
}
