import { defineConfig } from '@playwright/test';

// The app under test: the release build, started by scripts/test.sh (or by this config when
// E2E_BASE_URL is not given). Debian's Chromium, because Playwright cannot download browsers here.
const port = process.env.E2E_PORT ?? '3100';
const baseURL = process.env.E2E_BASE_URL ?? `http://127.0.0.1:${port}`;
const serverBin = process.env.E2E_SERVER_BIN;

function server(on: string, env: Record<string, string>) {
  return {
    command: serverBin!,
    url: `http://127.0.0.1:${on}/api/me`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { BIND_ADDR: `127.0.0.1:${on}`, RUST_LOG: 'info', ...env },
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true }, testIgnore: /no_js/ },
    { name: 'no-javascript', use: { javaScriptEnabled: false }, testMatch: /(walking_skeleton|no_js)\.spec\.ts/ },
    // The same journeys on a phone-sized screen.
    {
      name: 'phone',
      use: { javaScriptEnabled: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
      testMatch: /pat_manager\.spec\.ts/,
    },
  ],
  // The app (its demo clock set before global PATs retire, whatever today is), a second one with
  // low rate limits for rate_limits.spec.ts (the next port), and a third whose clock is after
  // 2026-12-01 for fidelity.spec.ts (the port after), a fourth whose tokens lack vso.pats for
  // reading.spec.ts, a fifth whose Azure DevOps is busy for busy.spec.ts, and a sixth signing in
  // with the classic permission its Azure DevOps refuses, for reading.spec.ts.
  webServer: serverBin
    ? [
        server(port, { DEMO_CLOCK: '2026-11-20T12:00:00Z' }),
        server(String(Number(port) + 1), { RATE_LIMIT_SIGN_INS: '3', RATE_LIMIT_TOKEN_CREATES: '2' }),
        server(String(Number(port) + 2), { DEMO_CLOCK: '2026-12-02T12:00:00Z' }),
        // reading.spec.ts: tokens without vso.pats, as a registration lacking it would give.
        // Its stand-in also answers the profile with the spec's fields only and has retired the
        // preview versions of profile and accounts.
        server(String(Number(port) + 3), {
          DEMO_CLOCK: '2026-11-20T12:00:00Z',
          DEMO_WITHHOLD_SCOPES: 'vso.pats',
          DEMO_QUIRKS: 'bare_profile,retire_previews',
        }),
        // busy.spec.ts: a busy Azure DevOps (throttled organizations, 24 organizations, 1,000 more tokens).
        server(String(Number(port) + 4), {
          DEMO_CLOCK: '2026-11-20T12:00:00Z',
          DEMO_THROTTLE: 'contoso-demo=near,adatum-demo-02=blocked',
          DEMO_EXTRA_ORGS: '21',
          DEMO_EXTRA_TOKENS: '1000',
        }),
        // reading.spec.ts: the classic permission, which this Azure DevOps refuses for PATs.
        server(String(Number(port) + 5), {
          DEMO_CLOCK: '2026-11-20T12:00:00Z',
          DEVOPS_SCOPES: 'classic',
          DEMO_QUIRKS: 'refuse_classic',
          // A registration with only user_impersonation: its tokens carry nothing else.
          DEMO_WITHHOLD_SCOPES: 'vso.pats,vso.pats_manage,vso.profile,vso.project',
        }),
      ]
    : undefined,
});
