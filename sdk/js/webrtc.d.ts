import type { DropOnAirClient, Participant, RejoinedEvent } from './index.js';

export interface MeshCallOptions {
  /** The room whose call to follow (the documented way). */
  roomId?: string;
  /** Older form: the call's id; its room is looked up in the client's roster. */
  callId?: string;
  localStream?: MediaStream;
  /** Overrides the call's ICE servers (by default those the server sent in JOINED/ADMITTED). */
  iceServers?: RTCIceServer[];
  /** 'relay' sends media only through TURN. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  RTCPeerConnection?: typeof RTCPeerConnection;
  onRemoteStream?: (userId: string, stream: MediaStream, track: MediaStreamTrack) => void;
  /** A peer's connection closed; `rebuilt`: a new one toward the same user follows. */
  onPeerLeft?: (userId: string, info: { rebuilt: boolean }) => void;
  onPeerState?: (userId: string, state: RTCPeerConnectionState) => void;
  onEnded?: (event: Record<string, unknown>) => void;
  /** The client joined again after losing its session: JOINED (connections rebuilt) or not (peers closed). */
  onRejoined?: (event: RejoinedEvent) => void;
  /** `disconnected` this long: ICE restart (default 3000). */
  restartAfterMs?: number;
  /** Not connected this long after an ICE restart: rebuilt (default 8000). */
  rebuildAfterMs?: number;
  /** A new connection not connected this long: rebuilt (default 15000). */
  connectTimeoutMs?: number;
  /** Leave the call on `pagehide` (default true). */
  leaveOnPageHide?: boolean;
}

export interface PeerStats {
  gen: string;
  state: RTCPeerConnectionState;
  framesDecoded: number;
  localCandidateType: RTCIceCandidateType | null;
  remoteCandidateType: RTCIceCandidateType | null;
}

export declare class MeshCall {
  constructor(client: DropOnAirClient, opts: MeshCallOptions);
  readonly roomId: string | null;
  /** The call followed now: changes when the client rejoins. */
  readonly callId: string | null;
  readonly peers: Map<string, { userId: string; pc: RTCPeerConnection; polite: boolean; gen: string }>;
  /** Connects to the roster's participants and follows the call. The arguments are the older form. */
  start(participants?: Participant[], earlier?: unknown[]): void;
  setMuted(kind: 'audio' | 'video', muted: boolean): Promise<void>;
  startScreenShare(stream: MediaStream): Promise<void>;
  stopScreenShare(): Promise<void>;
  /** Leaves the current call; resolves once the server acknowledged. */
  leave(): Promise<void>;
  framesDecoded(): Promise<Record<string, number>>;
  peerStats(): Promise<Record<string, PeerStats>>;
}
