/**
 * Text from a project (flow names, outputs, a deploy command's output) printed to a terminal can
 * drive it: an OSC sequence sets the window title or writes the clipboard (OSC 52), CSI sequences
 * move the cursor and erase what was printed, a carriage return or backspace overwrites it. Colours
 * are worth keeping: SGR (`ESC [ … m`) stays, everything else that controls the terminal goes.
 * Plain JavaScript with no dependency, so the editor's task terminal can use it too.
 */

/**
 * Terminal control sequences and characters, in the order they must be tried: an SGR (captured,
 * kept), any other CSI, OSC up to BEL or ST, DCS/SOS/PM/APC strings up to ST, any other escape,
 * the 8-bit (C1) forms of CSI and of the string sequences, and lone control characters but tab
 * and newline. An unterminated string sequence runs to the end of the text, and is dropped whole.
 */
const CONTROL =
  /(\u001b\[[0-9;:]*m)|\u001b\[[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[PX^_][^\u001b\u009c]*(?:\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?|\u009b[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` with every terminal control sequence and control character removed except colours (SGR)
 * and the tab and newline characters. A `\r\n` line end stays a line end.
 */
export function sanitizeTerminalText(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL, (_, sgr: string | undefined) => sgr ?? '');
}

/**
 * JSON text with the characters JSON.stringify leaves raw but a terminal may act on (DEL, C1, the
 * line and paragraph separators) as `\u` escapes: the same data, safe to print.
 */
export function escapeJsonControls(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
