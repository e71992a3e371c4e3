import { type TSchema, Type } from 'typebox';
import { StrictObject } from '../http/schemas.js';
import {
  PAIRING_EXPIRES_IN_S_DEFAULT,
  PAIRING_EXPIRES_IN_S_MAX,
  PAIRING_EXPIRES_IN_S_MIN,
  RELAY_LIMITS,
} from './store.js';

/**
 * The relay's schemas: they validate requests and are the OpenAPI components. Size limits on
 * ciphertext are checked on the decoded bytes by the routes (a coded 413), so the schemas only
 * bound the text loosely and fix its alphabet.
 */

export const MESSAGES_PAGE_DEFAULT = 100;
export const MESSAGES_PAGE_MAX = 500;

const Time = Type.String({ format: 'date-time', description: 'RFC 3339 UTC.' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const DeviceKey = Type.String({
  pattern: '^pub_[A-Za-z0-9_-]{43}$',
  description: "A device's Ed25519 public key.",
});
const MailboxId = Type.String({ pattern: '^mbx_[A-Za-z0-9_-]{22}$', description: 'A random mailbox id.' });
const PairingId = Type.String({ pattern: '^pair_[A-Za-z0-9_-]{22}$', description: 'A random pairing id.' });

/**
 * Base64url text (unpadded, RFC 4648 section 5). Its decoded size is checked by the route, which
 * answers relay_limit_exceeded; the route's body limit bounds the text itself.
 */
function Ciphertext(bytes: number) {
  return Type.String({
    minLength: 2,
    pattern: '^[A-Za-z0-9_-]*$',
    description: `Base64url ciphertext, at most ${bytes} bytes decoded (more: 413 relay_limit_exceeded).`,
  });
}

function object(id: string, properties: Record<string, TSchema>, description: string) {
  return Type.Object(properties, { $id: id, additionalProperties: false, description });
}

export const RelayMailbox = object(
  'RelayMailbox',
  {
    id: MailboxId,
    created_at: Time,
    devices: Type.Array(Type.Object({ device_key: DeviceKey, added_at: Time }, { additionalProperties: false }), {
      description: 'Member devices, oldest first; only they may read, post or change members.',
    }),
    last_seq: Type.Integer({ description: 'seq of the newest message ever posted; 0 before the first.' }),
    message_count: Type.Integer({ description: 'Messages held now (trimming lowers it).' }),
    message_bytes: Type.Integer({ description: 'Decoded ciphertext bytes held now.' }),
    limits: Type.Object(
      {
        devices_max: Type.Integer(),
        messages_max: Type.Integer(),
        mailbox_bytes_max: Type.Integer(),
        message_bytes_max: Type.Integer(),
      },
      { additionalProperties: false },
    ),
  },
  'A sync mailbox: an ordered log of ciphertext that only its member devices can read or append to.',
);

export const RelayMessage = object(
  'RelayMessage',
  {
    seq: Type.Integer({ description: 'Position in the mailbox: 1, 2, 3… in the order the node committed them.' }),
    device_key: Type.String({ description: 'The member device that posted it (it signed the request).' }),
    epoch: Type.Integer({ description: "The client's key epoch, as posted." }),
    ciphertext: Type.String({ description: 'Exactly the base64url text that was posted.' }),
    created_at: Time,
  },
  'One opaque message; the node never looks inside the ciphertext.',
);

export const RelayMessagePage = object(
  'RelayMessagePage',
  {
    items: Type.Array(Type.Unsafe({ $ref: 'RelayMessage#' })),
    next_after: Type.Integer({ description: 'Pass as `after` for the next page.' }),
    has_more: Type.Boolean({ description: 'true when more messages follow this page.' }),
  },
  'Messages with seq greater than `after`, oldest first.',
);

export const RELAY_SCHEMAS = [RelayMailbox, RelayMessage, RelayMessagePage];

export const MailboxParams = StrictObject({ id: MailboxId });
export const DeviceParams = StrictObject({ id: MailboxId, device_key: DeviceKey });
export const PairingParams = StrictObject({ id: PairingId });

export const CreateMailbox = StrictObject(
  {},
  { description: 'Empty for now: the signing device becomes the first member.' },
);

export const AddDevice = StrictObject({ device_key: DeviceKey });

export const PostMessage = StrictObject({
  epoch: Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Which key generation encrypted this (clients bump it when a device is removed).',
  }),
  ciphertext: Ciphertext(RELAY_LIMITS.message_bytes_max),
});

export const PostedMessage = Type.Object({ seq: Seq, created_at: Time }, { additionalProperties: false });

export const ListMessages = StrictObject({
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MESSAGES_PAGE_MAX, default: MESSAGES_PAGE_DEFAULT })),
});

export const TrimMessages = StrictObject({
  before: Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Delete the messages whose seq is lower than this.',
  }),
});

export const Trimmed = Type.Object(
  {
    deleted: Type.Integer(),
    has_more: Type.Boolean({ description: 'true when older messages remain below `before`: call again.' }),
  },
  { additionalProperties: false },
);

export const CreatePairing = StrictObject({
  ciphertext: Ciphertext(RELAY_LIMITS.pairing_bytes_max),
  expires_in_s: Type.Optional(
    Type.Integer({
      minimum: PAIRING_EXPIRES_IN_S_MIN,
      maximum: PAIRING_EXPIRES_IN_S_MAX,
      default: PAIRING_EXPIRES_IN_S_DEFAULT,
    }),
  ),
});

export const CreatedPairing = Type.Object(
  { id: PairingId, expires_at: Time },
  { additionalProperties: false, description: 'Show the id to the other device (QR code or typed code).' },
);

export const TakenPairing = Type.Object(
  { ciphertext: Type.String(), expires_at: Time },
  { additionalProperties: false, description: 'The handoff, now deleted from the node.' },
);
