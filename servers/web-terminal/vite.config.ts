/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// In development (and for e2e runs before nginx serves dist/), the API and the
// WebSockets live behind the gateway: proxy them so the app stays same-origin.
const gateway = process.env.BOURSE_GATEWAY ?? "http://127.0.0.1:8080";
const proxy = {
  "/api": { target: gateway, changeOrigin: true },
  "/ws": { target: gateway, changeOrigin: true, ws: true },
};

export default defineConfig({
  base: "/",
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      output: {
        // vendor code changes rarely: separate chunks stay cached across app releases
        manualChunks: {
          react: ["react", "react-dom", "react-router", "@tanstack/react-query"],
          mantine: ["@mantine/core", "@mantine/hooks", "@mantine/notifications"],
          charts: ["lightweight-charts"],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
