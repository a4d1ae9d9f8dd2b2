import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adminOpenApiDocument, DOC_BEGIN, openApiBlock } from '../../../src/extensions/admin/openapi-doc.js';

/** docs/admin-api.md holds the OpenAPI document generated from the route schemas, and describes every route. */
const doc = readFileSync(new URL('../../../docs/admin-api.md', import.meta.url), 'utf8');
const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('docs/admin-api.md', () => {
  it('holds the current generated OpenAPI document (run npm run docs:admin-api after changing a route)', () => {
    expect(doc).toContain(openApiBlock(version));
  });

  it('describes every route of the document in its own words', () => {
    const prose = doc.slice(0, doc.indexOf(DOC_BEGIN));
    const paths = (adminOpenApiDocument(version) as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths).length).toBeGreaterThanOrEqual(6);
    for (const [path, methods] of Object.entries(paths)) {
      for (const method of Object.keys(methods)) expect(prose, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
    }
  });
});
