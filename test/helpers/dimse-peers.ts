// dcmjs-dimse peers for end-to-end tests: an SCP (Server + Scp subclass) bound to 127.0.0.1 that
// accepts Verification, Study Root C-FIND and storage, and promise-returning SCU calls. dcmjs-dimse
// is an independent DICOM implementation, so a pass here means the relay interoperates, not just
// agrees with our own codec.
import dimse from 'dcmjs-dimse';
import type { AddressInfo, Server as NetServer } from 'node:net';

const { Server, Scp, Client, Dataset } = dimse;
const { CEchoRequest, CFindRequest } = dimse.requests;
const { CEchoResponse, CFindResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, TransferSyntax } = dimse.constants;

dimse.log.setLevel('silent');

type ScpInstance = InstanceType<typeof Scp>;
type AssociationT = Parameters<ScpInstance['associationRequested']>[0];

export interface SeenAssociation {
  calledAe: string;
  callingAe: string;
  abstractSyntaxes: string[];
}

export interface DimseScp {
  port: number;
  associations: SeenAssociation[];
  echoes: number;
  finds: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A dcmjs-dimse SCP; C-FIND answers `findMatches` pending responses (PatientID P0..), then success. */
export async function startDimseScp(opts: { findMatches?: number } = {}): Promise<DimseScp> {
  const state: DimseScp = { port: 0, associations: [], echoes: 0, finds: [], stop: async () => {} };
  const matches = opts.findMatches ?? 3;
  class TestScp extends Scp {
    private assoc: AssociationT | undefined;
    override associationRequested(association: AssociationT): void {
      this.assoc = association;
      const ctxs = association.getPresentationContexts();
      state.associations.push({
        calledAe: association.getCalledAeTitle(),
        callingAe: association.getCallingAeTitle(),
        abstractSyntaxes: ctxs.map((c) => association.getPresentationContext(c.id).getAbstractSyntaxUid()),
      });
      for (const c of ctxs) {
        const ctx = association.getPresentationContext(c.id);
        const ts = ctx.getTransferSyntaxUids().find((t) => t === TransferSyntax.ImplicitVRLittleEndian || t === TransferSyntax.ExplicitVRLittleEndian);
        if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
        else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }
    override cEchoRequest(request: Parameters<ScpInstance['cEchoRequest']>[0], callback: Parameters<ScpInstance['cEchoRequest']>[1]): void {
      state.echoes++;
      const r = CEchoResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    override cFindRequest(request: Parameters<ScpInstance['cFindRequest']>[0], callback: Parameters<ScpInstance['cFindRequest']>[1]): void {
      state.finds.push(request.getDataset()?.getElements() ?? {});
      const out = [];
      for (let i = 0; i < matches; i++) {
        const p = CFindResponse.fromRequest(request);
        p.setDataset(new Dataset({ PatientID: `P${i}`, PatientName: `DOE^${i}`, StudyInstanceUID: `1.2.3.${i}` }));
        p.setStatus(Status.Pending);
        out.push(p);
      }
      const done = CFindResponse.fromRequest(request);
      done.setStatus(Status.Success);
      out.push(done);
      callback(out);
    }
    override cStoreRequest(request: Parameters<ScpInstance['cStoreRequest']>[0], callback: Parameters<ScpInstance['cStoreRequest']>[1]): void {
      const r = CStoreResponse.fromRequest(request);
      r.setStatus(Status.Success);
      callback(r);
    }
    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }
  }
  const server = new Server(TestScp);
  server.on('networkError', () => {});
  const listening = new Promise<void>((r) => server.once('listening', () => r()));
  // dcmjs-dimse passes this straight to net.Server.listen: an options object keeps it on loopback.
  server.listen({ host: '127.0.0.1', port: 0 } as unknown as number);
  await listening;
  const inner = (server as unknown as { server: NetServer }).server;
  state.port = (inner.address() as AddressInfo).port;
  state.stop = async () => {
    server.close();
    await new Promise((r) => setTimeout(r, 10));
  };
  return state;
}

export interface ScuResult {
  statuses: number[];
  datasets: Record<string, unknown>[];
  rejected: boolean;
  errors: string[];
}

function run(port: number, calling: string, called: string, request: InstanceType<typeof CEchoRequest> | InstanceType<typeof CFindRequest>): Promise<ScuResult> {
  const out: ScuResult = { statuses: [], datasets: [], rejected: false, errors: [] };
  return new Promise((resolve) => {
    const client = new Client();
    request.on('response', (rsp: InstanceType<typeof CFindResponse>) => {
      out.statuses.push(rsp.getStatus());
      const ds = rsp.getDataset();
      if (ds) out.datasets.push(ds.getElements());
    });
    client.addRequest(request);
    client.on('associationRejected', () => {
      out.rejected = true;
    });
    client.on('networkError', (e: Error) => out.errors.push(e.message));
    client.on('closed', () => resolve(out));
    client.send('127.0.0.1', port, calling, called, { connectTimeout: 3000, associationTimeout: 5000, pduTimeout: 5000 });
  });
}

export function dimseEcho(port: number, calling: string, called: string): Promise<ScuResult> {
  return run(port, calling, called, new CEchoRequest());
}

export function dimseFind(port: number, calling: string, called: string, query: Record<string, unknown>): Promise<ScuResult> {
  return run(port, calling, called, CFindRequest.createStudyFindRequest(query));
}
