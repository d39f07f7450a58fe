import { Alert } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { onSocketStates } from "../ws/socket";

/** "Connection lost" while any live feed is down (reconnecting with backoff), then
 * "Connection restored" for a few seconds once every feed is back. */
export function ConnectionBanner() {
  const [lost, setLost] = useState(false);
  const [restored, setRestored] = useState(false);
  const wasLost = useRef(false);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = onSocketStates((states) => {
      const down = [...states.values()].some((state) => state === "lost");
      setLost(down);
      if (down) {
        wasLost.current = true;
        setRestored(false);
      } else if (wasLost.current && [...states.values()].every((state) => state === "open")) {
        wasLost.current = false;
        setRestored(true);
        clearTimeout(timer);
        timer = setTimeout(() => setRestored(false), 4000);
      }
    });
    return () => {
      stop();
      clearTimeout(timer);
    };
  }, []);

  if (lost) {
    return (
      <Alert color="orange" role="status" aria-live="polite" radius={0} title="Connection lost">
        Live data is paused; reconnecting…
      </Alert>
    );
  }
  if (restored) {
    return (
      <Alert color="teal" role="status" aria-live="polite" radius={0} title="Connection restored">
        Live data is flowing again.
      </Alert>
    );
  }
  return null;
}
