/**
 * The board's HTML shell, `default-src 'none'`: nothing runs but the bundle that carries the
 * nonce, and styles come only from the extension's own files (and a style element with the
 * nonce). No `vscode` import, so the benchmark loads the very same page.
 */
export interface BoardHtmlOptions {
  /** URIs of dist/webview/board.js and board.css as the webview can load them. */
  scriptUri: string;
  styleUri: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** Fresh per page load. */
  nonce: string;
}

export function boardHtml({ scriptUri, styleUri, cspSource, nonce }: BoardHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The nonce: the toolkit (FAST) probes `:focus-visible` support with a <style> element that
    // carries the nonce from the csp-nonce meta tag; without it that probe is blocked and logged.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>Flowport Board</title>
</head>
<body>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
