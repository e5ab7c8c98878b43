/**
 * The WebSocket protocol (docs/api.md lists every frame). Clients send commands with an
 * optional `id`; the server answers each with a `reply` carrying the same id, and pushes
 * events (messages, roster changes, kicks, notifications) as they happen.
 */
import { z } from 'zod';

/** A room as clients name it: its id (printable ASCII, no spaces). */
const roomRef = z.string().regex(/^[!-~]{1,64}$/, 'a room id');

/** A roster page: 100 users unless asked, at most 1,000 (a large room may hold thousands). */
export const ROSTER_PAGE_DEFAULT = 100;
export const ROSTER_PAGE_MAX = 1000;

export const ClientCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('join'), id: z.union([z.string(), z.number()]).optional(), room: roomRef }),
  z.object({ type: z.literal('part'), id: z.union([z.string(), z.number()]).optional(), room: roomRef }),
  z.object({
    type: z.literal('post'),
    id: z.union([z.string(), z.number()]).optional(),
    room: roomRef,
    text: z.string(),
    alert: z.boolean().optional(),
    story: z.object({ title: z.string() }).nullable().optional(),
    fileId: z.string().optional(),
  }),
  z.object({
    type: z.literal('participants'),
    id: z.union([z.string(), z.number()]).optional(),
    room: roomRef,
    /** A page of the roster, by SIP address: at most `limit`, after the address `after`. */
    limit: z.number().int().min(1).max(ROSTER_PAGE_MAX).optional(),
    after: z.string().max(512).optional(),
  }),
  z.object({ type: z.literal('ping'), id: z.union([z.string(), z.number()]).optional() }),
]);

export type ClientCommand = z.infer<typeof ClientCommand>;

/** Close codes (4000–4999 are the application's). */
export const CLOSE = {
  unauthenticated: 4401,
  serviceDisabled: 4403,
  signedOut: 4404,
  slowConsumer: 4408,
  badFrame: 4400,
  /** The user already has the most connections allowed (limits.wsConnectionsPerUser). */
  tooManyConnections: 4429,
  /** The client kept sending commands after being told it was over a limit. */
  policy: 1008,
  shuttingDown: 1001,
} as const;

