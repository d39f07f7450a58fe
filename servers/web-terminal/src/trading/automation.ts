import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/http";
import type { Alert, Page, RecurringOrder } from "../api/types";

export interface RecurringForm {
  symbol: string;
  side: "buy" | "sell";
  sizing: "qty" | "notional";
  amount: string;
  mode: "frequency" | "cron";
  frequency: "daily" | "weekly" | "biweekly" | "monthly";
  at: string;
  day_of_week: string;
  day_of_month: string;
  cron: string;
  timezone: string;
}

/** The POST body of a recurring order: only the schedule fields its frequency uses. */
export function recurringBody(form: RecurringForm): Record<string, unknown> {
  const schedule: Record<string, unknown> = {};
  if (form.mode === "cron") schedule.cron = form.cron.trim();
  else {
    schedule.frequency = form.frequency;
    if (form.at.trim()) schedule.at = form.at.trim();
    if ((form.frequency === "weekly" || form.frequency === "biweekly") && form.day_of_week) schedule.day_of_week = form.day_of_week;
    if (form.frequency === "monthly" && form.day_of_month.trim()) schedule.day_of_month = Number(form.day_of_month);
  }
  if (form.timezone.trim()) schedule.timezone = form.timezone.trim();
  return { symbol: form.symbol.trim().toUpperCase(), side: form.side, [form.sizing]: form.amount.trim(), schedule };
}

export function useRecurring() {
  return useQuery({
    queryKey: ["recurring"],
    queryFn: () => api<Page<RecurringOrder>>("/auto/recurring-orders").then((r) => r.items),
  });
}

export function useAlerts() {
  return useQuery({ queryKey: ["alerts"], queryFn: () => api<Page<Alert>>("/auto/alerts").then((r) => r.items) });
}

export function useAutomationActions() {
  const client = useQueryClient();
  const recurring = () => void client.invalidateQueries({ queryKey: ["recurring"] });
  const alerts = () => void client.invalidateQueries({ queryKey: ["alerts"] });
  return {
    createRecurring: useMutation({
      mutationFn: (body: Record<string, unknown>) => api<RecurringOrder>("/auto/recurring-orders", { method: "POST", body, idempotent: true }),
      onSuccess: recurring,
    }),
    pause: useMutation({
      mutationFn: (id: string) => api<RecurringOrder>(`/auto/recurring-orders/${id}/pause`, { method: "POST" }),
      onSuccess: recurring,
    }),
    resume: useMutation({
      mutationFn: (id: string) => api<RecurringOrder>(`/auto/recurring-orders/${id}/resume`, { method: "POST" }),
      onSuccess: recurring,
    }),
    deleteRecurring: useMutation({
      mutationFn: (id: string) => api<null>(`/auto/recurring-orders/${id}`, { method: "DELETE" }),
      onSuccess: recurring,
    }),
    createAlert: useMutation({
      mutationFn: (body: Record<string, unknown>) => api<Alert>("/auto/alerts", { method: "POST", body, idempotent: true }),
      onSuccess: alerts,
    }),
    deleteAlert: useMutation({
      mutationFn: (id: string) => api<null>(`/auto/alerts/${id}`, { method: "DELETE" }),
      onSuccess: alerts,
    }),
  };
}
