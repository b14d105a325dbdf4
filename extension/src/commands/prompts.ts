/**
 * The questions and notices of the run commands: QuickPicks, messages (modal or not, with buttons)
 * and opening a URL outside. They are VS Code's own; only when the extension runs under its
 * integration tests can a test answer them instead (`flowport.test.prompts`), and every prompt is
 * recorded there, so the tests drive the modal, the pickers and the buttons in a real VS Code.
 */
import * as vscode from 'vscode';

export type Severity = 'info' | 'warning' | 'error';

/** A prompt as a test sees it. */
export type ShownPrompt =
  | { kind: 'message'; severity: Severity; text: string; modal: boolean; detail?: string; actions: string[] }
  | { kind: 'pick'; title: string; items: PickItem[] }
  | { kind: 'input'; title: string; value: string }
  | { kind: 'openExternal'; uri: string };

/**
 * A test's answer: a message's button title, a pick's item label, an input's text, or undefined
 * for Escape / Cancel. With no answerer set, prompts go to VS Code's real UI (and are still logged).
 */
export type Answerer = (prompt: ShownPrompt) => string | undefined;
/** No test answers this prompt: VS Code's own UI does. */
const defer: unique symbol = Symbol('defer');

/** What `flowport.test.prompts` returns to a test: the log of prompts and the answerer to set. */
export interface TestPrompts {
  shown: ShownPrompt[];
  answer: Answerer | undefined;
  /** Resolves with the first prompt (shown from now on, or already shown) that `match` accepts. */
  next(match: (p: ShownPrompt) => boolean, timeoutMs?: number): Promise<ShownPrompt>;
}

let testPrompts: (TestPrompts & { notify(p: ShownPrompt): void }) | undefined;

/** Only in the extension's test mode: the hook the integration tests use. */
export function registerTestPrompts(context: vscode.ExtensionContext): void {
  if (context.extensionMode !== vscode.ExtensionMode.Test) return;
  const waiters = new Set<(p: ShownPrompt) => void>();
  const prompts = {
    shown: [] as ShownPrompt[],
    answer: undefined as Answerer | undefined,
    notify(p: ShownPrompt) {
      this.shown.push(p);
      for (const w of [...waiters]) w(p);
    },
    next(match: (p: ShownPrompt) => boolean, timeoutMs = 20_000): Promise<ShownPrompt> {
      const already = this.shown.find(match);
      if (already) return Promise.resolve(already);
      return new Promise<ShownPrompt>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no such prompt within ${timeoutMs} ms; shown: ${JSON.stringify(this.shown)}`));
        }, timeoutMs);
        const waiter = (p: ShownPrompt) => {
          if (!match(p)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(p);
        };
        waiters.add(waiter);
      });
    },
  };
  testPrompts = prompts;
  context.subscriptions.push(
    vscode.commands.registerCommand('flowport.test.prompts', () => prompts),
    { dispose: () => (testPrompts = undefined) },
  );
}

/** The test's answer, or `defer` when no test answers (or outside tests). */
function scripted(prompt: ShownPrompt): string | undefined | typeof defer {
  if (!testPrompts) return defer;
  testPrompts.notify(prompt);
  return testPrompts.answer ? testPrompts.answer(prompt) : defer;
}

export async function showMessage(
  severity: Severity,
  text: string,
  options: { modal?: boolean; detail?: string } = {},
  ...actions: string[]
): Promise<string | undefined> {
  const answer = scripted({
    kind: 'message',
    severity,
    text,
    modal: options.modal ?? false,
    ...(options.detail ? { detail: options.detail } : {}),
    actions,
  });
  if (answer !== defer) return actions.find((a) => a === answer);
  const show =
    severity === 'error'
      ? vscode.window.showErrorMessage
      : severity === 'warning'
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  return show(text, options, ...actions);
}

/** A QuickPick item; with `unavailable`, one that is shown with that reason and cannot be picked. */
export type PickItem = vscode.QuickPickItem & { unavailable?: string };

/**
 * A QuickPick whose `unavailable` items are listed (greyed out by their icon, the reason beside
 * them) but not accepted: Enter on one leaves the picker open. (A separator would say it without
 * being pickable, but VS Code draws none after the last item.)
 */
export async function pick<T extends PickItem>(
  items: readonly T[],
  options: { title: string; placeHolder?: string; matchOnDescription?: boolean },
): Promise<T | undefined> {
  const answer = scripted({ kind: 'pick', title: options.title, items: items.map((i) => ({ ...i })) });
  if (answer !== defer) {
    return items.find(
      (i) => i.label === answer && i.kind !== vscode.QuickPickItemKind.Separator && i.unavailable === undefined,
    );
  }
  const qp = vscode.window.createQuickPick<T>();
  qp.title = options.title;
  qp.placeholder = options.placeHolder;
  qp.matchOnDescription = options.matchOnDescription ?? false;
  qp.items = items.map((i) =>
    i.unavailable === undefined
      ? i
      : { ...i, iconPath: new vscode.ThemeIcon('circle-slash'), description: i.unavailable, alwaysShow: true },
  );
  return new Promise<T | undefined>((resolve) => {
    let picked: T | undefined;
    qp.onDidAccept(() => {
      const [selected] = qp.selectedItems;
      if (!selected || selected.unavailable !== undefined) return; // it says why; nothing to accept
      picked = items[qp.items.indexOf(selected)];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(picked);
    });
    qp.show();
  });
}

export async function input(options: vscode.InputBoxOptions & { title: string }): Promise<string | undefined> {
  const answer = scripted({ kind: 'input', title: options.title, value: options.value ?? '' });
  if (answer !== defer) return answer;
  return vscode.window.showInputBox(options);
}

export async function openExternal(uri: vscode.Uri): Promise<boolean> {
  if (scripted({ kind: 'openExternal', uri: uri.toString() }) !== defer) return true;
  return vscode.env.openExternal(uri);
}
