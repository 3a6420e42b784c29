import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCiRequest, type CiHandlerOptions, type CiLogger } from '../../src/ci/handler.js';
import { parseRequestManifest, parseResultManifest } from '../../src/ci/manifest.js';
import type { CiRequest } from '../../src/ci/request.js';
import { renderCiResponse } from '../../src/ci/response.js';

interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

let tmp: string;
let dataDir: string;
let logs: LogEntry[];

const logger: CiLogger = {
  info: (obj, msg) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
  warn: (obj, msg) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  error: (obj, msg) => logs.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
};

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ci-handler-'));
  dataDir = path.join(tmp, 'data');
  await mkdir(dataDir);
  logs = [];
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function script(name: string, body: string): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

function options(handler: string | undefined, extra: Partial<CiHandlerOptions> = {}): CiHandlerOptions {
  return {
    ...(handler !== undefined && { handler }),
    handlerArguments: [],
    timeoutMs: 2000,
    dataDir,
    logger,
    killGraceMs: 300,
    ...extra,
  };
}

const request: CiRequest = {
  repository: 'https://gitee.com/src-openeuler/zlib',
  packages: ['zlib'],
  custom: { range: 'abc123..def456' },
  files: [
    { name: '0001-fix-overflow.patch', content: 'From abc Mon Sep 17 00:00:00 2001\nSubject: [PATCH] fix\n' },
    { name: '0002-add-test.patch', content: new TextEncoder().encode('binary-safe\u0000content') },
  ],
};

const dataEntries = () => readdir(dataDir);

// Dead means gone from /proc, or a zombie nobody reaped yet (PID 1 here need not reap orphans).
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('runCiRequest with a handler program', () => {
  it('2xx: passes arguments and the absolute directory, reads the result, keeps the directory with result.manifest', async () => {
    const handler = await script(
      'ok.sh',
      [
        'dir="$3"',
        'printf "%s\\n" "$@" > "$dir/argv"',
        'ls "$dir" > "$dir/listing"',
        'echo "looking at $dir" >&2',
        "printf ': 1\\nstatus: 202\\nmessage: build scheduled\\nreference: job-42\\nbuild-url: https://ci.example/42\\n'",
      ].join('\n'),
    );
    const result = await runCiRequest(options(handler, { handlerArguments: ['--queue', 'fast'] }), request);

    expect(result).toMatchObject({ status: 202, message: 'build scheduled', reference: 'job-42', format: 'manifest' });
    expect(result.values).toEqual([{ name: 'build-url', value: 'https://ci.example/42' }]);
    const dir = result.directory!;
    expect(path.dirname(dir)).toBe(dataDir);
    expect(await dataEntries()).toEqual([path.basename(dir)]);

    const argv = (await readFile(path.join(dir, 'argv'), 'utf8')).trim().split('\n');
    expect(argv).toEqual(['--queue', 'fast', dir]);
    expect(path.isAbsolute(argv[2]!)).toBe(true);
    // The handler saw the request manifest and the patches before it answered.
    expect((await readFile(path.join(dir, 'listing'), 'utf8')).split('\n')).toEqual(
      expect.arrayContaining(['0001-fix-overflow.patch', '0002-add-test.patch', 'request.manifest']),
    );
    expect(await readFile(path.join(dir, '0002-add-test.patch'), 'utf8')).toBe('binary-safe\u0000content');

    const manifest = parseRequestManifest(await readFile(path.join(dir, 'request.manifest'), 'utf8'));
    expect(manifest).toMatchObject({ id: path.basename(dir), repository: request.repository, packages: ['zlib'], custom: request.custom });
    expect(Math.abs(manifest.timestamp.getTime() - Date.now())).toBeLessThan(60_000);

    expect(parseResultManifest(await readFile(path.join(dir, 'result.manifest'), 'utf8'))).toEqual({
      status: 202,
      message: 'build scheduled',
      reference: 'job-42',
      values: [{ name: 'build-url', value: 'https://ci.example/42' }],
    });
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ stderr: `looking at ${dir}\n` }) }));

    const response = renderCiResponse(result);
    expect(response.status).toBe(202);
    expect(parseResultManifest(response.body).reference).toBe('job-42');
  });

  it('2xx without a reference: the request id is the reference', async () => {
    const handler = await script('noref.sh', "printf 'status: 200\\nmessage: fine\\n'");
    const result = await runCiRequest(options(handler), request);
    expect(result.reference).toBe(path.basename(result.directory!));
  });

  it('leaves the directory alone when the handler took it away', async () => {
    const handler = await script('owner.sh', 'rm -rf "$1"\nprintf "status: 200\\nmessage: taken over\\n"');
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(200);
    expect(result.directory).toBeUndefined();
    expect(await dataEntries()).toEqual([]);
  });

  it('4xx: the directory is removed', async () => {
    const handler = await script('reject.sh', "printf ': 1\\nstatus: 422\\nmessage: unknown package zlib\\n'");
    const result = await runCiRequest(options(handler), request);
    expect(result).toMatchObject({ status: 422, message: 'unknown package zlib' });
    expect(result.directory).toBeUndefined();
    expect(await dataEntries()).toEqual([]);
  });

  it('5xx: the directory is saved as <id>.fail.0 with result.manifest, then .fail.1 when .fail.0 is taken', async () => {
    const handler = await script('overload.sh', "printf ': 1\\nstatus: 503\\nmessage: build farm overloaded\\n'");
    const first = await runCiRequest(options(handler), request);
    expect(first.status).toBe(503);
    expect(first.directory).toBe(path.join(dataDir, `${first.reference}.fail.0`));
    expect(await readdir(first.directory!)).toEqual(
      expect.arrayContaining(['request.manifest', 'result.manifest', '0001-fix-overflow.patch']),
    );
    expect(parseResultManifest(await readFile(path.join(first.directory!, 'result.manifest'), 'utf8'))).toMatchObject({
      status: 503,
      message: 'build farm overloaded',
      reference: first.reference,
    });

    // Something (here the handler itself) already holds <id>.fail.0: the next free number is used.
    const squatter = await script('squat.sh', 'mkdir "$1.fail.0"\nprintf "status: 500\\nmessage: broken\\n"');
    const second = await runCiRequest(options(squatter), request);
    expect(second.directory).toBe(path.join(dataDir, `${second.reference}.fail.1`));
    expect(existsSync(path.join(second.directory!, 'result.manifest'))).toBe(true);
    expect(await readdir(path.join(dataDir, `${second.reference}.fail.0`))).toEqual([]);
  });

  it('non-zero exit: a 500 saying so, the directory saved with a synthesized result.manifest', async () => {
    const handler = await script('crash.sh', "printf 'status: 200\\nmessage: looked fine\\n'\necho 'segfault in tester' >&2\nexit 3");
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(500);
    expect(result.message).toBe('CI request handling failed: the handler exited with code 3');
    expect(result.directory).toBe(path.join(dataDir, `${result.reference}.fail.0`));
    expect(parseResultManifest(await readFile(path.join(result.directory!, 'result.manifest'), 'utf8'))).toEqual({
      status: 500,
      message: 'CI request handling failed: the handler exited with code 3',
      reference: result.reference,
      values: [],
    });
    expect(logs.some((l) => l.obj.stderr === 'segfault in tester\n')).toBe(true);
  });

  it('termination by a signal counts as abnormal', async () => {
    const handler = await script('killed.sh', 'kill -KILL $$');
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(500);
    expect(result.message).toMatch(/terminated by signal SIGKILL/);
    expect(existsSync(path.join(dataDir, `${result.reference}.fail.0`, 'result.manifest'))).toBe(true);
  });

  it('timeout: the whole process group dies, including a grandchild that ignores SIGTERM', async () => {
    const handler = await script(
      'hang.sh',
      [
        `sh -c 'trap "" TERM; echo $$ > "$0/grandchild.pid"; while :; do sleep 0.05; done' "$1" &`,
        'while :; do sleep 0.05; done',
      ].join('\n'),
    );
    const started = Date.now();
    const result = await runCiRequest(options(handler, { timeoutMs: 400, killGraceMs: 300 }), request);
    const elapsed = Date.now() - started;

    expect(result.status).toBe(500);
    expect(result.message).toBe('CI request handling failed: the handler did not finish within 400 ms and was killed');
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000); // timeout + grace, not the grandchild's endless loop
    const failed = path.join(dataDir, `${result.reference}.fail.0`);
    expect(result.directory).toBe(failed);
    const grandchild = Number((await readFile(path.join(failed, 'grandchild.pid'), 'utf8')).trim());
    expect(grandchild).toBeGreaterThan(1);
    expect(processGone(grandchild)).toBe(true);
    expect(parseResultManifest(await readFile(path.join(failed, 'result.manifest'), 'utf8')).status).toBe(500);
  });

  it('garbage on stdout is abnormal, with the parse error in the message', async () => {
    const handler = await script('garbage.sh', "echo 'Build started!'\necho 'see you later'");
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(500);
    expect(result.message).toBe(
      "CI request handling failed: the handler's output is not a valid result manifest: line 1: ':' expected after name 'Build'",
    );
    expect(existsSync(path.join(dataDir, `${result.reference}.fail.0`, 'result.manifest'))).toBe(true);
  });

  it('a result value outside printable ASCII is abnormal, naming the value and line', async () => {
    const handler = await script('utf8.sh', "printf 'status: 200\\nmessage: caf\\303\\251 ok\\n'");
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(500);
    expect(result.message).toMatch(/not a valid result manifest: line 2: invalid value of 'message': U\+00E9 at position 4/);
  });

  it('more than 1 MiB on stdout is abnormal rather than buffered without bound', async () => {
    const handler = await script('flood.sh', "printf 'status: 200\\nmessage: '\nhead -c 1100000 /dev/zero | tr '\\000' a");
    const result = await runCiRequest(options(handler), request);
    expect(result.status).toBe(500);
    expect(result.message).toBe('CI request handling failed: the handler wrote more than 1048576 bytes to stdout');
  });

  it('a handler that cannot be started is abnormal too', async () => {
    const result = await runCiRequest(options(path.join(tmp, 'no-such-handler')), request);
    expect(result.status).toBe(500);
    expect(result.message).toBe('CI request handling failed: unable to execute the handler (ENOENT)');
    expect(result.directory).toBe(path.join(dataDir, `${result.reference}.fail.0`));
  });

  it('does not wait for a background child that keeps stdout open after the handler exits', async () => {
    const pidFile = path.join(tmp, 'background.pid');
    const handler = await script(
      'background.sh',
      `sleep 5 &\necho $! > ${pidFile}\nprintf 'status: 200\\nmessage: started in background\\n'`,
    );
    const started = Date.now();
    try {
      const result = await runCiRequest(options(handler), request);
      expect(Date.now() - started).toBeLessThan(4000); // not the 5 s of the background sleep
      expect(result).toMatchObject({ status: 200, message: 'started in background' });
      expect(logs.some((l) => l.level === 'warn' && /still open/.test(l.msg))).toBe(true);
    } finally {
      process.kill(Number((await readFile(pidFile, 'utf8')).trim()), 'SIGKILL');
    }
  });
});

describe('runCiRequest without a handler', () => {
  it('answers the implied result and leaves the request queued in the data directory', async () => {
    const result = await runCiRequest(options(undefined), request);
    expect(result).toMatchObject({ status: 200, message: 'CI request is queued', values: [] });
    expect(result.directory).toBe(path.join(dataDir, result.reference));
    expect((await readdir(result.directory!)).sort()).toEqual(['0001-fix-overflow.patch', '0002-add-test.patch', 'request.manifest']);
    expect(parseRequestManifest(await readFile(path.join(result.directory!, 'request.manifest'), 'utf8')).id).toBe(result.reference);
  });

  it('refuses a missing data directory with an error naming the setting', async () => {
    await expect(runCiRequest(options(undefined, { dataDir: path.join(tmp, 'missing') }), request)).rejects.toMatchObject({
      code: 'ci_data_dir_missing',
      field: 'CI_DATA_DIR',
    });
  });
});

describe('simulate', () => {
  it('performs nothing: no directory, no handler run; answers as brep does', async () => {
    const marker = path.join(tmp, 'handler-ran');
    const handler = await script('marker.sh', `touch ${marker}\nprintf 'status: 200\\nmessage: ran\\n'`);

    const success = await runCiRequest(options(handler), { ...request, simulate: 'success' });
    expect(success).toMatchObject({ status: 200, message: 'CI request is queued', format: 'manifest' });
    expect(success.directory).toBeUndefined();
    const ok = renderCiResponse(success);
    expect(ok.contentType).toBe('text/manifest;charset=utf-8');
    expect(parseResultManifest(ok.body)).toEqual({ status: 200, message: 'CI request is queued', reference: success.reference, values: [] });

    const text = renderCiResponse(await runCiRequest(options(handler), { ...request, simulate: 'internal-error-text' }));
    expect(text).toEqual({ status: 500, contentType: 'text/plain;charset=utf-8', body: 'CI request submission handling failed\n' });

    const html = renderCiResponse(await runCiRequest(options(handler), { ...request, simulate: 'internal-error-html' }));
    expect(html.status).toBe(500);
    expect(html.contentType).toBe('text/html;charset=utf-8');
    expect(html.body).toMatch(/<title>Internal Error<\/title>.*<body>CI request submission handling failed<\/body>/);

    expect(existsSync(marker)).toBe(false);
    expect(await dataEntries()).toEqual([]);
  });
});

describe('CI email', () => {
  it('mails the request and result manifests, but not for simulated requests', async () => {
    const mailbox = path.join(tmp, 'mailbox');
    const sendmail = await script('sendmail', `printf '%s\\n' "$@" >> ${mailbox}\ncat >> ${mailbox}`);
    const handler = await script('ok.sh', "printf 'status: 202\\nmessage: scheduled\\nreference: job-7\\n'");
    const email = { to: 'ci@example.org', from: 'bot@example.org', sendmail };

    await runCiRequest(options(handler, { email }), { ...request, simulate: 'success' });
    expect(existsSync(mailbox)).toBe(false);

    const result = await runCiRequest(options(handler, { email }), request);
    const mail = await readFile(mailbox, 'utf8');
    expect(mail).toContain('-i\n-f\nbot@example.org\n--\nci@example.org\n');
    expect(mail).toContain('Subject: CI request submission (job-7)\n');
    expect(mail).toContain(`id: ${path.basename(result.directory!)}\nrepository: https://gitee.com/src-openeuler/zlib\n`);
    expect(mail).toContain('status: 202\nmessage: scheduled\nreference: job-7\n');
  });

  it('logs a failing sendmail without failing the request', async () => {
    const sendmail = await script('sendmail', 'echo "relay refused" >&2\nexit 75');
    const result = await runCiRequest(options(undefined, { email: { to: 'ci@example.org', sendmail } }), request);
    expect(result.status).toBe(200);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', obj: expect.objectContaining({ err: 'sendmail exited with code 75: relay refused' }) }),
    );
  });
});
