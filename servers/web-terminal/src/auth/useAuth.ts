import { useSyncExternalStore } from "react";
import { api } from "../api/http";
import type { User } from "../api/types";
import { session, type Tokens } from "./session";

export function useSignedIn(): boolean {
  return useSyncExternalStore(
    (notify) => session.subscribe(notify),
    () => session.signedIn,
  );
}

export async function login(email: string, password: string): Promise<void> {
  const tokens = await api<Tokens>("/auth/login", { method: "POST", body: { email, password }, auth: false });
  session.set(tokens);
}

export async function register(email: string, password: string, name: string): Promise<User> {
  const body: Record<string, string> = { email, password };
  if (name.trim()) body.name = name.trim();
  return api<User>("/auth/register", { method: "POST", body, auth: false });
}

export async function logout(): Promise<void> {
  const refresh = session.refreshToken;
  session.clear();
  if (refresh) {
    try {
      await api("/auth/logout", { method: "POST", body: { refresh_token: refresh }, auth: false });
    } catch {
      // signed out locally either way
    }
  }
}
