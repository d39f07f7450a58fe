import { MantineProvider, createTheme } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import type { ReactNode } from "react";
import { ApiError } from "./api/problem";
import { useSignedIn } from "./auth/useAuth";
import { Layout } from "./components/Layout";
import { AuthPage } from "./pages/AuthPage";
import { MarketsPage } from "./pages/MarketsPage";
import { SymbolPage } from "./pages/SymbolPage";
import { OrdersPage } from "./pages/OrdersPage";
import { AccountPage } from "./pages/AccountPage";
import { AutomationPage } from "./pages/AutomationPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { ApiKeysPage } from "./pages/ApiKeysPage";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

const theme = createTheme({ primaryColor: "indigo", defaultRadius: "sm" });

function RequireAuth({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <Notifications position="bottom-right" limit={3} />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Routes>
            <Route path="/login" element={<AuthPage mode="login" />} />
            <Route path="/signup" element={<AuthPage mode="signup" />} />
            <Route
              element={
                <RequireAuth>
                  <Layout />
                </RequireAuth>
              }
            >
              <Route index element={<MarketsPage />} />
              <Route path="/symbols/:symbol" element={<SymbolPage />} />
              <Route path="/orders" element={<OrdersPage />} />
              <Route path="/account" element={<AccountPage />} />
              <Route path="/automation" element={<AutomationPage />} />
              <Route path="/notifications" element={<NotificationsPage />} />
              <Route path="/api-keys" element={<ApiKeysPage />} />
              <Route path="*" element={<Navigate to="/" replace />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
