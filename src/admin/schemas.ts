// Response schemas (STYLE rule 11): fastify serializes through them, so a route can never leak a
// field that is not declared here, and the shapes double as documentation of the admin API.

const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const strArray = { type: 'array', items: str } as const;

export const errorSchema = {
  type: 'object',
  properties: { error: str, message: str },
  required: ['error'],
} as const;

export const healthSchema = {
  type: 'object',
  properties: { status: str },
  required: ['status'],
} as const;

export const associationSchema = {
  type: 'object',
  properties: {
    id: str,
    listener: str,
    peerAddress: str,
    callingAe: str,
    calledAe: str,
    node: nullableStr,
    tlsPeerSubject: nullableStr,
    started: str,
    bytesToNode: int,
    bytesToCaller: int,
    dimse: { type: 'object', additionalProperties: int },
    state: str,
  },
  required: ['id', 'listener', 'peerAddress', 'callingAe', 'calledAe', 'node', 'tlsPeerSubject', 'started', 'bytesToNode', 'bytesToCaller', 'dimse', 'state'],
} as const;

const rejectionSchema = {
  type: 'object',
  properties: {
    time: str,
    listener: str,
    peerAddress: str,
    callingAe: nullableStr,
    calledAe: nullableStr,
    reason: str,
    message: str,
  },
} as const;

const reachSchema = {
  type: ['object', 'null'],
  properties: { time: str, ok: bool, error: str },
} as const;

export const statusSchema = {
  type: 'object',
  properties: {
    generatedAt: str,
    gateway: {
      type: 'object',
      properties: { aeTitle: str, version: str, startedAt: str, uptimeSeconds: int, ready: bool, phase: str },
    },
    listeners: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: str, host: str, port: int, tls: bool, requireClientCert: bool, bound: bool },
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: str,
          configured: bool,
          aeTitle: nullableStr,
          host: str,
          port: int,
          tls: bool,
          reachable: bool,
          activeAssociations: int,
          lastReachable: reachSchema,
        },
      },
    },
    rules: {
      type: 'array',
      items: { type: 'object', properties: { from: strArray, to: strArray, services: { type: ['array', 'null'], items: str } } },
    },
    associations: { type: 'array', items: associationSchema },
    rejections: { type: 'array', items: rejectionSchema },
    certificates: {
      type: 'array',
      items: { type: 'object', properties: { name: str, subject: str, notAfter: str, daysLeft: { type: 'number' } } },
    },
  },
} as const;

export const reloadOkSchema = {
  type: 'object',
  properties: { ok: bool, message: str, warnings: strArray },
  required: ['ok', 'message', 'warnings'],
} as const;

export const reloadFailSchema = {
  type: 'object',
  properties: { ok: bool, message: str, errors: strArray, warnings: strArray },
  required: ['ok', 'errors'],
} as const;

// The config is open-ended (others add options); declared as a free-form object on purpose.
export const configSchema = { type: 'object', additionalProperties: true } as const;

export const textSchema = { type: 'string' } as const;
