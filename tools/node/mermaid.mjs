#!/usr/bin/env node
// Parse Mermaid diagrams with Mermaid itself (the parser GitHub and Azure DevOps run), in Node.js
// without a browser. Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom provides one,
// installed as a global before mermaid is imported.
// Usage: node mermaid.mjs FILE...   One JSON line per file: {"file", "ok", "type"|"error"}.
// Exit 0 when every diagram parses, 1 when one does not, 2 when a file cannot be read.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of process.argv.slice(2)) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    console.log(JSON.stringify({ file, ok: false, error: `cannot read: ${error.message}` }));
    process.exit(2);
  }
  try {
    const result = await mermaid.parse(text, { suppressErrors: false });
    console.log(JSON.stringify({ file, ok: true, type: result.diagramType }));
  } catch (error) {
    failed++;
    console.log(JSON.stringify({ file, ok: false, error: String(error?.message ?? error) }));
  }
}
process.exit(failed ? 1 : 0);
