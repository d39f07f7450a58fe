/** A WebSocket that reconnects with exponential backoff (and jitter), reports its state to
 * the connection banner, and asks for its URL afresh on every attempt (so a token-
 * authenticated socket reconnects with the latest access token, e.g. after a 4401). */

export type SocketState = "connecting" | "open" | "lost";

export interface SocketOptions {
  name: string;
  url: () => Promise<string | null> | string | null;
  onOpen?: (socket: WebSocket) => void;
  onMessage: (data: unknown) => void;
  /** called on close with the close code; return false to stop reconnecting */
  onClose?: (code: number) => boolean | undefined;
}

const MAX_DELAY_MS = 15_000;
const STABLE_MS = 5_000;

type StateListener = (states: Map<string, SocketState>) => void;
const states = new Map<string, SocketState>();
const stateListeners = new Set<StateListener>();

function setState(id: string, state: SocketState | null): void {
  if (state === null) states.delete(id);
  else states.set(id, state);
  for (const listener of stateListeners) listener(new Map(states));
}

export function onSocketStates(listener: StateListener): () => void {
  stateListeners.add(listener);
  listener(new Map(states));
  return () => stateListeners.delete(listener);
}

export function wsUrl(path: string): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}${path}`;
}

let counter = 0;

export class LiveSocket {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private openedAt = 0;
  private readonly id: string;

  constructor(private readonly options: SocketOptions) {
    counter += 1;
    this.id = `${options.name}#${counter}`;
    void this.connect();
  }

  send(message: unknown): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
    setState(this.id, null);
  }

  /** Drop the connection and open a new one now (e.g. to resync after a gap). */
  reconnect(): void {
    this.socket?.close(4000);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    setState(this.id, this.attempts === 0 ? "connecting" : "lost");
    const url = await this.options.url();
    if (this.stopped) return;
    if (!url) {
      this.retry();
      return;
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.openedAt = Date.now();
      setState(this.id, "open");
      this.options.onOpen?.(socket);
    };
    socket.onmessage = (event: MessageEvent) => {
      let data: unknown;
      try {
        data = JSON.parse(String(event.data));
      } catch {
        return;
      }
      this.options.onMessage(data);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      // the backoff starts over only after a connection that lasted: a server that accepts
      // and drops at once is retried ever more slowly, not in a tight loop
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.attempts = 0;
      this.openedAt = 0;
      if (this.options.onClose?.(event.code) === false) {
        setState(this.id, null);
        return;
      }
      this.retry(event.code === 4000);
    };
  }

  private retry(now = false): void {
    if (this.stopped) return;
    this.attempts += 1;
    setState(this.id, "lost");
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** Math.min(this.attempts - 1, 5));
    const delay = now ? 0 : base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
