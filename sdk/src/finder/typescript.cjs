// TypeScript for parse.ts, through require: importing typescript.js from ESM makes Node scan its
// 9 MB for export names (~0.2–0.4 s of a cold run). Assigned through a variable, not re-exported
// with `module.exports = require(…)`, which Node's scan follows into typescript.js. In a bundle
// (the SDK's dist, the extension's host) this file is inlined and the require is resolved there.
const ts = require('typescript');
module.exports = ts;
