// Type declarations for @droponair/sdk 0.14.0.

export declare const VERSION: '0.14.0';

export type RoomStatus = 'ACTIVE' | 'CLOSED';
export type SignalType = 'GROUP_CALL_SDP_OFFER' | 'GROUP_CALL_SDP_ANSWER' | 'GROUP_CALL_ICE_CANDIDATE';
export type JoinStatus = 'HOST_REQUIRED' | 'ROOM_CLOSED' | 'WAITING_ROOM_PENDING';

export interface RoomPolicy {
  waitingRoom: boolean;
  requireHost: boolean;
  maxParticipants: number | null;
  autoCloseWhenEmpty: boolean;
}

// The call's shapes come from the protocol description (protocol.d.ts, generated).
import type { Call, Participant, Role, WaitingList } from './protocol.js';
export type { Participant, Role };
/** Someone in the waiting room. */
export type Waiter = WaitingList[number];
/** A room's live call as REST and WATCH_ROOM show it. */
export type LiveCall = Call;

export interface Room {
  roomId: string;
  name: string;
  createdBy: string;
  hosts: string[];
  scheduledStartAt: number | null;
  scheduledEndAt: number | null;
  status: RoomStatus;
  policy: RoomPolicy;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  version: number;
  call: LiveCall | null;
}

export interface RoomInput {
  name?: string | null;
  scheduledStartAt?: number | null;
  scheduledEndAt?: number | null;
  policy?: Partial<RoomPolicy> | null;
  hosts?: string[] | null;
  metadata?: Record<string, unknown> | null;
}

export interface RoomPatch extends RoomInput { status?: RoomStatus; }

export interface Info {
  name: 'droponair';
  version: string;
  apiVersion: 'v1';
  features: string[];
  appId?: string;
  userId?: string;
  plan?: string;
  limits?: { maxRoomsPerApp: number; maxParticipantsPerCall: number };
  /** What the token's grants claim allows (docs/api.md, Grants and admin tokens). */
  grants?: {
    admin: boolean;
    createRooms: boolean;
    rooms: string[] | null;
    publish: Array<'audio' | 'video' | 'screen'>;
  };
}

// The protocol's events, generated from protocol/droponair.v1.json.
import type { ServerEvent, JoinRoomReply, ErrorReply } from './protocol.js';
export type { ServerEvent, ServerEventType } from './protocol.js';
export type * as Protocol from './protocol.js';

/** After a session could not be resumed, the SDK joins its calls again and reports each. */
/**
 * Emitted (via onGroupCallEvent) after the SDK joined a call again because
 * its session could not be resumed (offline past the grace, a server
 * restart): callId may be new; previousCallId is the one before.
 */
export interface SdkRejoinedEvent {
  type: 'SDK_REJOINED';
  roomId: string;
  callId: string | null;
  previousCallId: string | null;
  status: 'JOINED' | JoinStatus | 'ERROR';
  reply: JoinRoomReply | ErrorReply;
  error?: DropOnAirError;
}

/** An event of a room's live call: `type` narrows it (see docs/protocol.md). */
export type GroupCallEvent = ServerEvent | SdkRejoinedEvent;

/** What the SDK knows of a call it joined (or is trying to get into): client.getCall(roomId). */
export interface CallRoster {
  roomId: string;
  status: 'JOINED' | 'HOST_REQUIRED' | 'WAITING_ROOM_PENDING';
  /** null while not in the call (HOST_REQUIRED, WAITING_ROOM_PENDING). */
  callId: string | null;
  role: Role | null;
  /** Everyone in the call, this user included; `reconnecting` while their connection is in the grace. */
  participants: Array<Participant & { reconnecting?: boolean }>;
  /** Ready for new RTCPeerConnection({iceServers}); [] when the server has none. */
  iceServers: RTCIceServerLike[];
  /** When the TURN credentials stop working (epoch ms), or null. */
  iceServersExpireAt: number | null;
  /** Signals kept for a consumer (MeshCall) that has not attached yet; at most SIGNAL_BUFFER_CAP. */
  bufferedSignals: number;
  /** Signals dropped (the oldest) because the buffer was full. */
  droppedSignals: number;
}

export interface RTCIceServerLike { urls: string | string[]; username?: string; credential?: string; }

/** SDK_REJOINED (see SdkRejoinedEvent). */
export type RejoinedEvent = SdkRejoinedEvent;

export type CallChange =
  | { type: 'call'; reason: 'joined' | 'admitted' | 'rejoined'; fresh: boolean; event: RejoinedEvent | null }
  | { type: 'joined' | 'left'; userId: string; reason?: string }
  | { type: 'signal'; event: GroupCallEvent }
  | { type: 'lost'; status: string; final: boolean; event: RejoinedEvent }
  | { type: 'ended'; event: GroupCallEvent };

export declare const SIGNAL_BUFFER_CAP: 512;

export declare class DropOnAirError extends Error {
  code: string;
  status?: number;
  field?: string;
  limitSource?: 'room' | 'plan';
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  getToken?: () => string | Promise<string>;
  WebSocket?: unknown;
  fetch?: typeof fetch;
  reconnect?: boolean;
  requestTimeoutMs?: number;
  /** Signals kept per call until a consumer attaches (default 512). */
  signalBufferCap?: number;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export declare class DropOnAirClient {
  constructor(opts: ClientOptions);
  readonly userId: string | null;
  readonly state: ConnectionState;
  lastJoin?: Record<string, unknown>;
  setToken(token: string): Promise<void>;
  getInfo(): Promise<Info>;
  createRoom(room?: RoomInput, opts?: { idempotencyKey?: string }): Promise<Room>;
  listRooms(q?: { status?: RoomStatus; limit?: number; cursor?: string }): Promise<{ rooms: Room[]; nextCursor: string | null }>;
  getRoom(roomId: string): Promise<Room>;
  updateRoom(roomId: string, patch: RoomPatch, opts?: { ifMatch?: number | string }): Promise<Room>;
  deleteRoom(roomId: string, opts?: { ifMatch?: number | string }): Promise<void>;
  listWaiting(roomId: string): Promise<{ roomId: string; callId: string | null; waiting: Waiter[] }>;
  connect(): Promise<void>;
  /** Resolves to the callId, or to HOST_REQUIRED / ROOM_CLOSED / WAITING_ROOM_PENDING. */
  joinRoom(roomId: string): Promise<string>;
  /** Never rejects. */
  sendGroupCallSignal(type: SignalType, callId: string, groupId: string, peerUserId: string, payload: unknown):
    Promise<{ ok: true } | { ok: false; error: DropOnAirError }>;
  onGroupCallEvent(cb: (event: GroupCallEvent) => void): () => void;
  onConnectionState(cb: (state: ConnectionState) => void): () => void;
  leaveGroupCall(callId: string): Promise<void>;
  /** Leaves the room's current call (whatever its callId now) or its waiting room; resolves once acknowledged. */
  leaveCall(roomId: string): Promise<void>;
  /** Best effort, no reply awaited: for pagehide. */
  leaveCallNow(roomId: string): void;
  /** The roster of the call joined in this room, or null. */
  getCall(roomId: string): CallRoster | null;
  /** The room a callId belongs to, among this client's calls. */
  roomOfCall(callId: string): string | null;
  /** For a custom mesh: the room's signals and roster changes, the kept signals first. Returns a detach function. */
  attachCall(roomId: string, handler: (change: CallChange) => void): () => void;
  /** GET /api/ice-servers; the rosters take the new list too. */
  getIceServers(): Promise<{ iceServers: RTCIceServerLike[]; expiresAt: number | null }>;
  cancelWait(roomId: string): Promise<void>;
  setMediaState(callId: string, state: { audio?: boolean; video?: boolean }): Promise<void>;
  startScreenShare(callId: string): Promise<void>;
  stopScreenShare(callId: string): Promise<void>;
  admit(roomId: string, userId: string): Promise<string[]>;
  admitAll(roomId: string): Promise<string[]>;
  deny(roomId: string, userId: string): Promise<void>;
  muteParticipant(callId: string, userId: string, kind?: 'audio' | 'video'): Promise<void>;
  removeParticipant(callId: string, userId: string, opts?: { ban?: boolean }): Promise<void>;
  setRole(callId: string, userId: string, role: 'CO_HOST' | 'PARTICIPANT'): Promise<void>;
  endCall(callId: string): Promise<void>;
  watchRoom(roomId: string): Promise<{ roomId: string; call: LiveCall | null; waiting: Waiter[] }>;
  unwatchRoom(roomId: string): Promise<void>;
  close(): void;
}
