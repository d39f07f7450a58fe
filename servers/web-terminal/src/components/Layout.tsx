import { AppShell, Badge, Burger, Button, Group, NavLink, ScrollArea, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Link, Outlet, useLocation } from "react-router";
import { logout } from "../auth/useAuth";
import { useNotificationsFeed } from "../trading/useNotifications";
import { useTradeUpdates } from "../trading/useTradeUpdates";
import { usePortfolioFeed } from "../trading/usePortfolio";
import { ConnectionBanner } from "./ConnectionBanner";

const LINKS = [
  { to: "/", label: "Markets" },
  { to: "/orders", label: "Orders" },
  { to: "/account", label: "Account & portfolio" },
  { to: "/automation", label: "Recurring & alerts" },
  { to: "/notifications", label: "Notifications" },
  { to: "/api-keys", label: "API keys" },
];

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const unread = useNotificationsFeed();
  useTradeUpdates();
  usePortfolioFeed();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3}>
              <Link to="/" style={{ color: "inherit", textDecoration: "none" }}>
                Bourse
              </Link>
            </Title>
          </Group>
          <Group wrap="nowrap" gap="xs">
            <Button component={Link} to="/notifications" variant="subtle" aria-label={`Notifications, ${unread} unread`}>
              <Text span>Alerts</Text>
              {unread > 0 && (
                <Badge ml={6} color="red" size="sm" circle data-testid="unread-badge">
                  {unread}
                </Badge>
              )}
            </Button>
            <Button variant="default" onClick={() => void logout()}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <ScrollArea>
          <nav aria-label="Main">
            {LINKS.map((link) => (
              <NavLink
                key={link.to}
                component={Link}
                to={link.to}
                label={link.label}
                active={link.to === "/" ? location.pathname === "/" : location.pathname.startsWith(link.to)}
                onClick={close}
              />
            ))}
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        <ConnectionBanner />
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
