// Metric handles. Names and labels are part of the external contract (CONTRACT.md, Metrics) and must
// not change. Handles are created once per registry and injected (STYLE rule 10); tests pass a
// fresh Registry so nothing touches prom-client's global one.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type AssociationOutcome = 'accepted' | 'rejected' | 'failed';
export type RejectionReason =
  | 'called-ae-not-recognized'
  | 'calling-ae-not-recognized'
  | 'not-allowed'
  | 'limit'
  | 'node-unreachable'
  | 'certificate';

export interface GatewayMetrics {
  registry: Registry;
  associationsTotal: Counter<'listener' | 'outcome'>;
  associationRejectionsTotal: Counter<'reason'>;
  associationsActive: Gauge<'listener'>;
  bytesTotal: Counter<'direction'>;
  dimseRequestsTotal: Counter<'command' | 'node'>;
  tlsHandshakeFailuresTotal: Counter<'listener'>;
  certificateExpiryTimestampSeconds: Gauge<'certificate'>;
  configReloadsTotal: Counter<'result'>;
  associationDurationSeconds: Histogram<'node'>;
  // additions beyond the contract
  connectionsRefusedTotal: Counter<'listener' | 'reason'>;
  protocolErrorsTotal: Counter<'listener' | 'kind'>;
  nodeConnectFailuresTotal: Counter<'node'>;
  moveDestinationRejectionsTotal: Counter<'node'>;
}

export function createMetrics(registry: Registry = new Registry(), opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    associationsTotal: new Counter({
      name: 'dicom_gateway_associations_total',
      help: 'Associations handled, by listener and outcome (accepted, rejected, failed).',
      labelNames: ['listener', 'outcome'],
      registers: r,
    }),
    associationRejectionsTotal: new Counter({
      name: 'dicom_gateway_association_rejections_total',
      help: 'A-ASSOCIATE-RJ sent by the gateway, by reason.',
      labelNames: ['reason'],
      registers: r,
    }),
    associationsActive: new Gauge({
      name: 'dicom_gateway_associations_active',
      help: 'Associations currently open, by listener.',
      labelNames: ['listener'],
      registers: r,
    }),
    bytesTotal: new Counter({
      name: 'dicom_gateway_bytes_total',
      help: 'PDU bytes relayed, by direction (to-node, to-caller).',
      labelNames: ['direction'],
      registers: r,
    }),
    dimseRequestsTotal: new Counter({
      name: 'dicom_gateway_dimse_requests_total',
      help: 'DIMSE requests relayed or answered, by command and node.',
      labelNames: ['command', 'node'],
      registers: r,
    }),
    tlsHandshakeFailuresTotal: new Counter({
      name: 'dicom_gateway_tls_handshake_failures_total',
      help: 'TLS handshakes that failed on a listener (bad certificate, protocol, timeout, not TLS).',
      labelNames: ['listener'],
      registers: r,
    }),
    certificateExpiryTimestampSeconds: new Gauge({
      name: 'dicom_gateway_certificate_expiry_timestamp_seconds',
      help: 'notAfter of the gateway certificate and the CA, as a Unix timestamp.',
      labelNames: ['certificate'],
      registers: r,
    }),
    configReloadsTotal: new Counter({
      name: 'dicom_gateway_config_reloads_total',
      help: 'Config reloads, by result.',
      labelNames: ['result'],
      registers: r,
    }),
    associationDurationSeconds: new Histogram({
      name: 'dicom_gateway_association_duration_seconds',
      help: 'Duration of relayed associations, by node.',
      labelNames: ['node'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
      registers: r,
    }),
    connectionsRefusedTotal: new Counter({
      name: 'dicom_gateway_connections_refused_total',
      help: 'TCP connections closed before any PDU (allowFrom, draining).',
      labelNames: ['listener', 'reason'],
      registers: r,
    }),
    protocolErrorsTotal: new Counter({
      name: 'dicom_gateway_protocol_errors_total',
      help: 'Malformed or unexpected PDUs answered with A-ABORT, by kind.',
      labelNames: ['listener', 'kind'],
      registers: r,
    }),
    nodeConnectFailuresTotal: new Counter({
      name: 'dicom_gateway_node_connect_failures_total',
      help: 'Failed TCP/TLS connections from the gateway to a node.',
      labelNames: ['node'],
      registers: r,
    }),
    moveDestinationRejectionsTotal: new Counter({
      name: 'dicom_gateway_move_destination_rejections_total',
      help: 'C-MOVE-RQs answered 0xA801 by the gateway, by moving node.',
      labelNames: ['node'],
      registers: r,
    }),
  };
}
