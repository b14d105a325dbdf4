// TypeScript as parse.ts needs it, required rather than imported: Node scans an imported CommonJS
// file for its export names, and typescript.js is 9 MB (~0.2 s of a cold run). typescript-estree
// has required it already, so this costs nothing; bundlers resolve this require as any other.
module.exports = require('typescript');
