import { readFileSync, writeFileSync } from 'node:fs';
import { DOC_BEGIN, DOC_END, openApiBlock } from '../src/extensions/admin/openapi-doc.js';

/** Rewrites the generated OpenAPI block of docs/admin-api.md from the route schemas. */
const path = new URL('../docs/admin-api.md', import.meta.url);
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const doc = readFileSync(path, 'utf8');
const start = doc.indexOf(DOC_BEGIN);
const end = doc.indexOf(DOC_END);
if (start < 0 || end < start) throw new Error('docs/admin-api.md has no openapi markers');
writeFileSync(path, doc.slice(0, start) + openApiBlock(version) + doc.slice(end + DOC_END.length));
