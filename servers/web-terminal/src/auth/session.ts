/** The signed-in session: tokens kept in localStorage so a reload stays signed in; the
 * access token refreshed before it expires and on a 401, with one refresh in flight at a
 * time (a refresh token is spent on use: two concurrent refreshes would revoke the family). */

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

interface Stored {
  access: string;
  refresh: string;
  expiresAt: number; // epoch ms
}

const KEY = "bourse.session";
const EARLY_MS = 30_000;

type Listener = (signedIn: boolean) => void;

class Session {
  private stored: Stored | null = null;
  private inFlight: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private listeners = new Set<Listener>();

  constructor() {
    this.stored = this.read();
    this.schedule();
    if (typeof window !== "undefined") {
      // another tab refreshed or signed out: follow it rather than spend a spent token
      window.addEventListener("storage", (event) => {
        if (event.key !== KEY) return;
        this.stored = this.read();
        this.schedule();
        this.emit();
      });
    }
  }

  get signedIn(): boolean {
    return this.stored !== null;
  }

  get accessToken(): string | null {
    return this.stored?.access ?? null;
  }

  get refreshToken(): string | null {
    return this.stored?.refresh ?? null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(tokens: Tokens): void {
    this.stored = {
      access: tokens.access_token,
      refresh: tokens.refresh_token,
      expiresAt: Date.now() + tokens.expires_in * 1000,
    };
    localStorage.setItem(KEY, JSON.stringify(this.stored));
    this.schedule();
    this.emit();
  }

  clear(): void {
    this.stored = null;
    localStorage.removeItem(KEY);
    if (this.timer) clearTimeout(this.timer);
    this.emit();
  }

  /** A valid access token: refreshed first when it is (nearly) expired. */
  async token(): Promise<string | null> {
    if (!this.stored) return null;
    if (Date.now() < this.stored.expiresAt - EARLY_MS) return this.stored.access;
    return this.refresh();
  }

  /** Refresh now; concurrent callers share one request. Null when the session is over. */
  refresh(): Promise<string | null> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<string | null> {
    const refresh = this.stored?.refresh;
    if (!refresh) return null;
    try {
      const response = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      });
      if (response.ok) {
        this.set((await response.json()) as Tokens);
        return this.stored?.access ?? null;
      }
      // another tab may have rotated it a moment ago: use what it stored
      const fresh = this.read();
      if (fresh && fresh.refresh !== refresh) {
        this.stored = fresh;
        this.schedule();
        return fresh.access;
      }
      if (response.status === 401 || response.status === 422) this.clear();
      return null;
    } catch {
      return null; // network down: keep the session, the caller retries later
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (!this.stored || typeof window === "undefined") return;
    const wait = Math.max(1_000, this.stored.expiresAt - EARLY_MS - Date.now());
    this.timer = setTimeout(() => void this.refresh(), wait);
  }

  private read(): Stored | null {
    if (typeof localStorage === "undefined") return null;
    try {
      const raw = localStorage.getItem(KEY);
      return raw ? (JSON.parse(raw) as Stored) : null;
    } catch {
      return null;
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.signedIn);
  }
}

export const session = new Session();
