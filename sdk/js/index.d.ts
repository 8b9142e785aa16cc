// Type declarations for @droponair/sdk 0.14.0.

export declare const VERSION: '0.14.0';

export type RoomStatus = 'ACTIVE' | 'CLOSED';
export type Role = 'HOST' | 'CO_HOST' | 'PARTICIPANT';
export type SignalType = 'GROUP_CALL_SDP_OFFER' | 'GROUP_CALL_SDP_ANSWER' | 'GROUP_CALL_ICE_CANDIDATE';
export type JoinStatus = 'HOST_REQUIRED' | 'ROOM_CLOSED' | 'WAITING_ROOM_PENDING';

export interface RoomPolicy {
  waitingRoom: boolean;
  requireHost: boolean;
  maxParticipants: number | null;
  autoCloseWhenEmpty: boolean;
}

export interface Participant {
  userId: string;
  name: string;
  role: Role;
  joinedAt: number;
  audio: boolean;
  video: boolean;
  screenSharing: boolean;
}

export interface Waiter { userId: string; name: string; since: number; }

export interface LiveCall {
  callId: string;
  startedAt: number;
  participantCount: number;
  participants: Participant[];
  hostPresent: boolean;
  waitingCount: number;
  waiting?: Waiter[];
}

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
}

// The protocol's events, generated from protocol/droponair.v1.json.
import type { ServerEvent, JoinRoomReply, ErrorReply } from './protocol.js';
export type { ServerEvent, ServerEventType } from './protocol.js';
export type * as Protocol from './protocol.js';

/** After a session could not be resumed, the SDK joins its calls again and reports each. */
export interface SdkRejoinedEvent {
  type: 'SDK_REJOINED';
  roomId: string;
  callId: string | null;
  status: 'JOINED' | JoinStatus | 'ERROR';
  reply: JoinRoomReply | ErrorReply;
}

/** An event of a room's live call: `type` narrows it (see docs/protocol.md). */
export type GroupCallEvent = ServerEvent | SdkRejoinedEvent;

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
