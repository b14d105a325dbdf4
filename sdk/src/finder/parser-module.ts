// The parser as its own module, imported dynamically by parse.ts: bundlers split it into a chunk
// that is loaded on first use only (it pulls in TypeScript, ~0.3 s to load).
export { parse, parseAndGenerateServices, TSError } from '@typescript-eslint/typescript-estree';
export { default as ts } from './typescript.cjs';
