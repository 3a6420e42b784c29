import { AppError } from '../errors.js';
import { checkManifestName, checkManifestValue, RESERVED_REQUEST_NAMES } from './manifest.js';

/** brep's predefined simulation outcomes. */
export const CI_SIMULATE_OUTCOMES = ['success', 'internal-error-text', 'internal-error-html'] as const;
export type CiSimulate = (typeof CI_SIMULATE_OUTCOMES)[number];

export interface CiPatchFile {
  /** A plain file name (no directories), e.g. `0001-fix-build.patch`. */
  name: string;
  content: string | Uint8Array;
}

/** One CI request: what gets written to `CI_DATA_DIR/<id>/` for the handler program. */
export interface CiRequest {
  /** The remote repository holding what is to be tested. */
  repository: string;
  /** `name` or `name/version`; empty means every package in the repository. */
  packages: string[];
  custom: Record<string, string>;
  files: CiPatchFile[];
  simulate?: CiSimulate;
  clientIp?: string;
  userAgent?: string;
}

function invalid(field: string, message: string): AppError {
  return new AppError('ci_invalid_request', message, { field });
}

// brep accepts only remote repository locations; so do we: a URL with a host, or scp-like `user@host:path`.
function checkRepository(repository: string): void {
  if (repository === '') throw invalid('repository', 'repository is required');
  checkManifestValue('repository', repository);
  if (/\s/.test(repository)) throw invalid('repository', 'repository must not contain whitespace');
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]/.test(repository)) return;
  let url: URL;
  try {
    url = new URL(repository);
  } catch {
    throw invalid('repository', `repository '${repository}' is not a URL`);
  }
  if (!['http:', 'https:', 'git:', 'ssh:'].includes(url.protocol) || url.hostname === '') {
    throw invalid('repository', `repository '${repository}' must be a remote http, https, git or ssh URL`);
  }
}

const PACKAGE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_.+~:-]+)?$/;

function checkPackage(pkg: string): void {
  checkManifestValue('package', pkg);
  if (!PACKAGE_RE.test(pkg)) throw invalid('package', `invalid package '${pkg}': expected <name> or <name>/<version>`);
}

const FILE_NAME_RE = /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$/;
const MANIFEST_FILES = new Set(['request.manifest', 'result.manifest']);

function checkFiles(files: readonly CiPatchFile[]): void {
  const seen = new Set<string>();
  for (const { name } of files) {
    if (!FILE_NAME_RE.test(name) || MANIFEST_FILES.has(name)) {
      throw invalid('files', `invalid patch file name '${name}': a plain file name other than the manifests is expected`);
    }
    if (seen.has(name)) throw invalid('files', `patch file '${name}' given twice`);
    seen.add(name);
  }
}

function checkCustom(custom: Record<string, string>): void {
  for (const [name, value] of Object.entries(custom)) {
    if (RESERVED_REQUEST_NAMES.has(name)) {
      throw invalid(name, `'${name}' is set by the service and cannot be given as a custom value`);
    }
    checkManifestName(name);
    checkManifestValue(name, value);
  }
}

/** Checks a request built in code (published range, mail series); throws an AppError naming the field. */
export function validateCiRequest(request: CiRequest): void {
  checkRepository(request.repository);
  request.packages.forEach(checkPackage);
  checkCustom(request.custom);
  checkFiles(request.files);
  if (request.simulate !== undefined && !CI_SIMULATE_OUTCOMES.includes(request.simulate)) {
    throw invalid('simulate', `simulate must be one of ${CI_SIMULATE_OUTCOMES.join(', ')}`);
  }
  if (request.clientIp !== undefined) checkManifestValue('client-ip', request.clientIp);
  if (request.userAgent !== undefined) checkManifestValue('user-agent', request.userAgent);
}

function isSimulate(value: string): value is CiSimulate {
  return (CI_SIMULATE_OUTCOMES as readonly string[]).includes(value);
}

/**
 * Input of `GET|POST /api/v1/ci` (query string or form): `repository` (required, once), `package`
 * (repeatable; empty ones skipped, as brep does for unfilled form fields), `simulate`, and any other
 * key as a custom value (`_`, a cache buster, is ignored). Throws an AppError naming the field.
 */
export function parseCiSubmission(params: URLSearchParams): CiRequest {
  const repositories = params.getAll('repository');
  if (repositories.length > 1) throw invalid('repository', 'repository given more than once');
  const repository = repositories[0] ?? '';

  const simulates = params.getAll('simulate').filter((s) => s !== '');
  if (simulates.length > 1) throw invalid('simulate', 'simulate given more than once');

  const request: CiRequest = {
    repository,
    packages: params.getAll('package').filter((p) => p !== ''),
    // No prototype, so a parameter named `__proto__` is just another custom value.
    custom: Object.create(null) as Record<string, string>,
    files: [],
  };
  const simulate = simulates[0];
  if (simulate !== undefined) {
    if (!isSimulate(simulate)) throw invalid('simulate', `simulate must be one of ${CI_SIMULATE_OUTCOMES.join(', ')}`);
    request.simulate = simulate;
  }

  for (const [name, value] of params) {
    if (name === 'repository' || name === 'package' || name === 'simulate' || name === '_') continue;
    if (Object.hasOwn(request.custom, name)) throw invalid(name, `'${name}' given more than once`);
    request.custom[name] = value;
  }

  validateCiRequest(request);
  return request;
}
