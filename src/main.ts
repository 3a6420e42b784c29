/**
 * Composition root: settings → database → API (+ GitHub App webhooks) → scheduler. Nothing here decides
 * behaviour; it only builds the parts and connects them.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import type { Probot } from 'probot';
import { firstDelivery } from './lifecycle/deliveries.js';
import { githubSignatureGate } from './lifecycle/github-signature.js';
import { TrustedProxies } from './http/trusted-proxies.js';
import { Authenticator } from './auth/authenticator.js';
import { ensureAdminPassword } from './auth/bootstrap.js';
import { createApi } from './api/app.js';
import { createApp } from './app.js';
import { createCiPublishHook, runPendingSeriesCi } from './ci/publish-hook.js';
import type { PublicationRow, TrackingRow } from './db/schema/index.js';
import { Lifecycle } from './lifecycle/index.js';
import { InstallationRegistry, withInstallations } from './lifecycle/installations.js';
import { extrasFactory, runHooks } from './lifecycle/wiring.js';
import { openDatabase, type DatabaseHandle } from './db/client.js';
import { forgeBases } from './forges/resolve.js';
import { createLogger, type Logger } from './log.js';
import { startServer, type NodeMiddleware, type RunningServer } from './server.js';
import type { Settings } from './settings.js';
import { VERSION } from './paths.js';
import { resolveInputCommit } from './tracker/commit-id.js';
import { Engine } from './tracker/engine.js';
import { Scheduler } from './tracker/scheduler.js';
import { landedStep } from './mail/landed/landed.js';
import { analyseUpstreamed } from './upstreamed/report.js';
import { UpstreamedStep } from './upstreamed/step.js';
import { ArchiveFollower, summarizeFollow } from './mail/follow/follow.js';
import { MailStore } from './mail/store/mail-store.js';
import { GitSource } from './sources/git.js';
import { buildEngineParts } from './tracker/wiring.js';
import { UpstreamPolicy } from './sources/upstream-policy.js';

export interface Service {
  url: string;
  db: DatabaseHandle;
  logger: Logger;
  engine: Engine;
  /** one scan cycle now (what the scheduler runs), or wait for the one in flight */
  runCycle(): Promise<void>;
  stop(): Promise<void>;
}

const GITHUB_WEBHOOKS_PATH = '/api/github/webhooks';

/** GitHub's redeliveries reuse the id; a delivery older than this is not expected again (GitHub keeps 3 days of them). */
const GITHUB_DELIVERY_KEEP_MS = 30 * 24 * 3600_000;

export async function startService(settings: Settings, options: { logger?: Logger; out?: (line: string) => void; scheduler?: boolean } = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(settings.logLevel);
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));

  let passwordHash = settings.passwordHash;
  if (!passwordHash) {
    const admin = await ensureAdminPassword(settings.dataDir);
    passwordHash = admin.hash;
    if (admin.generatedPassword) {
      out(`Generated an admin password (shown once; only its hash is stored in ${settings.dataDir}):`);
      out(`  user: ${settings.user}`);
      out(`  password: ${admin.generatedPassword}`);
    }
  }

  const db = await openDatabase({
    databaseUrl: settings.databaseUrl || undefined,
    dataDir: settings.dataDir,
    exclusive: 'service',
    log: (level, message) => logger[level](message),
  });
  logger.info({ engine: db.engine }, 'database ready');
  if (!settings.githubAccessToken) logger.warn('GITHUB_ACCESS_TOKEN is not set: github trackings will report that they cannot run');
  if (!settings.giteeAccessToken) logger.warn('GITEE_ACCESS_TOKEN is not set: nothing can be published to Gitee');

  const authenticator = new Authenticator({ user: settings.user, passwordHash, db: db.db });
  // the GitHub App (when configured): its installations publish and read instead of the personal token
  let probot: Probot | undefined;
  let installations: InstallationRegistry | undefined;
  if (settings.appId && settings.privateKey) {
    // loaded only with a GitHub App configured: probot is a large import, and the start waits for it
    const { createProbot } = await import('probot');
    const app = createProbot({
      overrides: { appId: settings.appId, privateKey: settings.privateKey, secret: settings.webhookSecret, log: logger },
    });
    probot = app;
    installations = new InstallationRegistry(async (id) => (await app.auth(id)) as unknown as Octokit);
  }
  const upstreamPolicy = UpstreamPolicy.fromSettings(settings);
  if (settings.allowLocalUpstreams) logger.warn('ALLOW_LOCAL_UPSTREAMS is on: token holders can make the service read local paths and hosts on its own network');
  const baseParts = buildEngineParts(settings, db.db, { upstreamPolicy, logger });
  const parts = installations ? withInstallations(baseParts, installations) : baseParts;
  const publish = { specEdit: settings.specEdit, patchDir: settings.patchDir, botName: settings.botName, botEmail: settings.botEmail, githubWebUrl: forgeBases(settings).github.web };
  const extras = extrasFactory(settings, installations);
  const lifecycleHooks = runHooks(settings, { db: db.db, logger, parts, publish, extras, registry: installations });
  const ci = createCiPublishHook({ db: db.db, settings, logger, forges: parts.forges });
  // after every published range: the apply check, then the CI handler (which runs in the background)
  const hooks = {
    ...lifecycleHooks,
    onPublished: async (t: TrackingRow, p: PublicationRow) => {
      await lifecycleHooks.onPublished(t, p);
      await ci.onPublished(t, p);
    },
  };
  const engine = new Engine({
    db: db.db,
    logger,
    owner: settings.replicaName || hostname(),
    leaseMs: settings.leaseSeconds * 1000,
    ...parts,
    publish,
    maxPatchesPerPr: settings.maxPatchesPerPr,
    hooks,
  });
  const lifecycle = new Lifecycle({
    db: db.db,
    logger,
    ...parts,
    extras,
    publish,
    engine,
    onPublished: hooks.onPublished,
    kick: () => void engine.processQueue().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'queue run after a webhook failed')),
  });
  // its own instance of the git source: mirror locks are files, shared with the engine's instance
  const landedSource = new GitSource({ dataDir: settings.dataDir, upstreamPolicy, logger });
  // public-inbox archives are followed in their own step, through the same git mirrors as the engine
  const follower = new ArchiveFollower({ db: db.db, git: landedSource, store: new MailStore(db.db), logger });
  // spec patches the upstream release already has: one removal PR per tracking, version and set of patches
  const upstreamedDeps = {
    forges: parts.forges,
    git: landedSource,
    tagPatterns: settings.upstreamTagPatterns,
    githubGitUrl: forgeBases(settings).github.git,
    workRoot: join(settings.dataDir, 'upstreamed'),
  };
  const upstreamed = new UpstreamedStep({ ...upstreamedDeps, db: db.db, logger, publish, perCycle: settings.upstreamedPerCycle });
  const cycle = async () => ({
    ...(await engine.runCycle()),
    upstreamed: await upstreamed.run(),
    seriesSentToCi: await runPendingSeriesCi({ db: db.db, settings, logger, forges: parts.forges }),
    // mailing-list patches that landed in their project's upstream
    landed: await landedStep(db.db, landedSource, logger),
    archives: summarizeFollow(await follower.followAll()),
  });
  const scheduler = new Scheduler(cycle, { intervalSeconds: settings.scanDbInterval, cron: settings.scanCron || undefined, logger });
  const api = createApi({
    db: db.db,
    trackingChanges: db.trackingChanges,
    authenticator,
    logger,
    readAuth: settings.readAuth,
    bodyLimit: settings.bodyLimit,
    trustedProxies: settings.trustedProxies,
    version: VERSION,
    scanNow: (id, options) => engine.scanNow(id, options),
    upstreamed: (t) => analyseUpstreamed(upstreamedDeps, t),
    resolveCommit: (input) => resolveInputCommit(parts.sources, input, logger),
    ci: settings,
    upstreamPolicy,
    compare: { dataDir: settings.dataDir, upstreamPolicy, logger },
    gitee: { secret: settings.giteeWebhookSecret, lifecycle },
    lifecycle,
  });

  const before: NodeMiddleware[] = [];
  if (probot && !settings.webhookSecret) {
    // Probot would fall back to the well-known secret "development": anyone could forge deliveries
    logger.warn('WEBHOOK_SECRET is not set: GitHub webhooks are not accepted (the app still publishes through its installations)');
  } else if (probot) {
    const registry = installations!;
    const app = probot;
    const { createNodeMiddleware } = await import('probot');
    const middleware = await createNodeMiddleware(createApp({
        lifecycle,
        onInstallationRepositories: (payload) => registry.noteEvent(payload),
        firstDelivery: (id) => firstDelivery(db.db, 'github', id, GITHUB_DELIVERY_KEEP_MS),
      }), {
      probot,
      webhooksPath: GITHUB_WEBHOOKS_PATH,
    });
    const gate = githubSignatureGate({
      path: GITHUB_WEBHOOKS_PATH,
      verify: (payload, signature) => app.webhooks.verify(payload, signature),
      logger,
      proxies: new TrustedProxies(settings.trustedProxies),
    });
    before.push(gate, (req, res, next) => middleware(req, res, next));
    logger.info(`GitHub App enabled: webhooks at ${GITHUB_WEBHOOKS_PATH}`);
  } else {
    logger.info('APP_ID/PRIVATE_KEY not set: running without the GitHub App');
  }

  let server: RunningServer;
  try {
    server = await startServer(api, {
      listen: settings.listen,
      tls: settings.tlsCert ? { cert: settings.tlsCert, key: settings.tlsKey } : undefined,
      before,
    });
  } catch (err) {
    await db.close();
    throw err;
  }
  logger.info({ url: server.url }, 'listening');
  if (options.scheduler !== false) {
    await engine.releaseLeftoverLeases();
    scheduler.start();
  }

  return {
    url: server.url,
    db,
    logger,
    engine,
    runCycle: () => scheduler.runOnce(),
    async stop() {
      await scheduler.stop();
      await server.close();
      await ci.idle();
      await db.close();
    },
  };
}
