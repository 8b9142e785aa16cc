import type { DropOnAirClient, Participant } from './index.js';

export interface MeshCallOptions {
  callId: string;
  localStream?: MediaStream;
  iceServers?: RTCIceServer[];
  RTCPeerConnection?: typeof RTCPeerConnection;
  onRemoteStream?: (userId: string, stream: MediaStream, track: MediaStreamTrack) => void;
  onPeerLeft?: (userId: string) => void;
  onPeerState?: (userId: string, state: RTCPeerConnectionState) => void;
  onEnded?: (event: Record<string, unknown>) => void;
}

export declare class MeshCall {
  constructor(client: DropOnAirClient, opts: MeshCallOptions);
  readonly callId: string;
  readonly peers: Map<string, { userId: string; pc: RTCPeerConnection; polite: boolean }>;
  start(participants?: Participant[]): void;
  setMuted(kind: 'audio' | 'video', muted: boolean): Promise<void>;
  startScreenShare(stream: MediaStream): Promise<void>;
  stopScreenShare(): Promise<void>;
  leave(): Promise<void>;
  framesDecoded(): Promise<Record<string, number>>;
}
