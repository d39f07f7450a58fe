import { useQueryClient } from "@tanstack/react-query";
import { notifications as toasts } from "@mantine/notifications";
import { useEffect, useState } from "react";
import type { Notification } from "../api/types";
import { session } from "../auth/session";
import { LiveSocket, wsUrl } from "../ws/socket";

export const unreadKey = ["notifications", "unread"] as const;

/** /ws/notifications: `ready` with the unread count, then each new notification. Returns
 * the unread count for the badge; the list page refetches as notifications arrive. */
export function useNotificationsFeed(): number {
  const client = useQueryClient();
  const [unread, setUnread] = useState(0);

  useEffect(() => {
    const socket = new LiveSocket({
      name: "notifications",
      url: async () => {
        const token = await session.token();
        return token ? wsUrl(`/ws/notifications?token=${encodeURIComponent(token)}`) : null;
      },
      onMessage: (data) => {
        const message = data as { type: string; unread_count?: number; notification?: Notification };
        if (message.type === "ready") setUnread(message.unread_count ?? 0);
        if (message.type === "notification" && message.notification) {
          setUnread((count) => count + 1);
          toasts.show({ title: message.notification.title, message: message.notification.body });
          void client.invalidateQueries({ queryKey: ["notifications"] });
        }
      },
    });
    const stop = client.getQueryCache().subscribe((event) => {
      // the list page read or marked some: take its count as the truth
      const data = event.query.state.data as { unread_count?: number } | undefined;
      if (event.query.queryKey[0] === "notifications" && typeof data?.unread_count === "number") {
        setUnread(data.unread_count);
      }
    });
    return () => {
      socket.close();
      stop();
    };
  }, [client]);

  return unread;
}
