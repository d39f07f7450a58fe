import { Title } from "@mantine/core";

export function SymbolPage() {
  return <Title order={2}>SymbolPage</Title>;
}
