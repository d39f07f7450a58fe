import { Title } from "@mantine/core";

export function MarketsPage() {
  return <Title order={2}>MarketsPage</Title>;
}
