import { Title } from "@mantine/core";

export function AutomationPage() {
  return <Title order={2}>AutomationPage</Title>;
}
