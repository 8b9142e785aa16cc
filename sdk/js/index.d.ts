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

// The protocol's events and the SDK's own, generated from protocol/droponair.v1.json.
import type {
  ServerEvent, JoinRoomReply, JoinRoomResult, GroupCallDeniedEvent, GroupCallEndedEvent, GroupCallRemovedEvent,
  GroupCallSdpOfferEvent, GroupCallSdpAnswerEvent, GroupCallIceCandidateEvent,
} from './protocol.js';
import type { EventMap, EventName, DropOnAirEvent, SdkRejoinedEvent, SdkConnectionStateEvent } from './events.js';
export type { ServerEvent, ServerEventType } from './protocol.js';
export type { EventMap, EventName, DropOnAirEvent, SdkEvent, SdkRejoinedEvent, SdkConnectionStateEvent } from './events.js';
export type * as Protocol from './protocol.js';

/**
 * What onGroupCallEvent delivers: the server's events and SDK_REJOINED.
 * `type` narrows it (see docs/protocol.md).
 */
export type GroupCallEvent = ServerEvent | SdkRejoinedEvent;

/**
 * What join() resolves to; `status` narrows it. JOINED: in the call (the
 * roster is client.getCall(roomId) from now on); WAITING_ROOM_PENDING: in
 * the waiting room at `position` (GROUP_CALL_ADMITTED or GROUP_CALL_DENIED
 * follows); HOST_REQUIRED: no host is in the call yet
 * (GROUP_CALL_HOST_PRESENT tells when one arrives); ROOM_CLOSED: the room
 * takes no one.
 */
export type JoinResult = JoinRoomResult;

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

/** What a call consumer gets when the SDK closed (client.close()) while in the call. */
export interface SdkClosedEvent { type: 'SDK_CLOSED'; roomId: string; callId: string | null; }

export type CallChange =
  | { type: 'call'; reason: 'joined' | 'admitted' | 'rejoined'; fresh: boolean; event: RejoinedEvent | null }
  | { type: 'joined' | 'left'; userId: string; reason?: string }
  | { type: 'signal'; event: GroupCallSdpOfferEvent | GroupCallSdpAnswerEvent | GroupCallIceCandidateEvent }
  | { type: 'lost'; status: string; final: boolean; event: RejoinedEvent }
  | { type: 'ended'; event: GroupCallEndedEvent | GroupCallRemovedEvent | GroupCallDeniedEvent | SdkClosedEvent };

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

/** `idle` until the first call that needs the socket; then as SDK_CONNECTION_STATE tells. */
export type ConnectionState = 'idle' | SdkConnectionStateEvent['state'];

export declare class DropOnAirClient {
  constructor(opts: ClientOptions);
  readonly userId: string | null;
  readonly state: ConnectionState;
  /** The last join's whole reply (joinRoom, join). */
  lastJoin?: JoinRoomReply;
  setToken(token: string): Promise<void>;
  getInfo(): Promise<Info>;
  createRoom(room?: RoomInput, opts?: { idempotencyKey?: string }): Promise<Room>;
  listRooms(q?: { status?: RoomStatus; limit?: number; cursor?: string }): Promise<{ rooms: Room[]; nextCursor: string | null }>;
  getRoom(roomId: string): Promise<Room>;
  updateRoom(roomId: string, patch: RoomPatch, opts?: { ifMatch?: number | string }): Promise<Room>;
  deleteRoom(roomId: string, opts?: { ifMatch?: number | string }): Promise<void>;
  listWaiting(roomId: string): Promise<{ roomId: string; callId: string | null; waiting: Waiter[] }>;
  connect(): Promise<void>;
  /**
   * Joins the room's call and resolves to the callId; when it did not get in,
   * to 'HOST_REQUIRED', 'ROOM_CLOSED' or 'WAITING_ROOM_PENDING' instead (the
   * product page's form: join() says the same with types). Errors
   * (ROOM_NOT_FOUND, ROOM_FULL, FORBIDDEN, ...) reject with a DropOnAirError.
   */
  joinRoom(roomId: string): Promise<string>;
  /** Joins the room's call: the outcome, narrowed by `status`. Errors reject as joinRoom's do. */
  join(roomId: string): Promise<JoinResult>;
  /** Never rejects. */
  sendGroupCallSignal(type: SignalType, callId: string, groupId: string, peerUserId: string, payload: unknown):
    Promise<{ ok: true } | { ok: false; error: DropOnAirError }>;
  /**
   * Listens to one event by its type, the handler getting that event's
   * shape; an unknown name does not compile. '*': every event, the SDK's
   * SDK_CONNECTION_STATE included. Returns an unsubscribe.
   */
  on<K extends EventName>(name: K, handler: (event: EventMap[K]) => void): () => void;
  on(name: '*', handler: (event: DropOnAirEvent) => void): () => void;
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
