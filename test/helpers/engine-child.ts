/**
 * One scan cycle of a real engine in its own process, for tests that SIGKILL it mid-publication:
 * DATABASE_URL (PostgreSQL), GITEE_API_URL (a FakeGitee), DATA_DIR (git mirrors).
 */
import { openDatabase } from '../../src/db/client.js';
import { createForges } from '../../src/forges/resolve.js';
import { createLogger } from '../../src/log.js';
import { GitSource } from '../../src/sources/git.js';
import { LOCAL_UPSTREAMS_ALLOWED } from './git-repo.js';
import { Engine } from '../../src/tracker/engine.js';

const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, maxConnections: 2 });
const engine = new Engine({
  db: db.db,
  logger: createLogger('silent'),
  sources: { git: new GitSource({ dataDir: process.env.DATA_DIR!, upstreamPolicy: LOCAL_UPSTREAMS_ALLOWED }) },
  unavailable: {},
  forges: createForges({ giteeAccessToken: 'child-token', giteeApiUrl: process.env.GITEE_API_URL }),
  publish: { specEdit: 'auto', botName: 'patch-tracking', botEmail: 'bot@example.org' },
  maxPatchesPerPr: 100,
});
process.stdout.write('ready\n');
await engine.runCycle();
await db.close();
process.stdout.write('done\n');
