// The webview is browser code: the DOM's types, for it and for whatever includes it.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
