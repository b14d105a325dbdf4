/**
 * The only file that knows which web-component library the board uses (today
 * @vscode/webview-ui-toolkit, deprecated upstream since 2025-01-01; @vscode-elements/elements is
 * the planned replacement). Everything else asks for a button, a text field or a select here.
 *
 * The grid's hundreds of cells and buttons are plain DOM styled with theme variables (board.css):
 * a web component per cell costs a shadow root and a template each, and the board must render
 * 500 flows × 5 environments in well under 300 ms.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

export function defineComponents(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeTextField(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
  );
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary';
  /** Accessible name when it differs from the label. */
  ariaLabel?: string;
  title?: string;
  onClick: () => void;
}

export function button(label: string, options: ButtonOptions): HTMLElement {
  const el = document.createElement('vscode-button');
  el.textContent = label;
  el.setAttribute('appearance', options.appearance ?? 'primary');
  if (options.ariaLabel) el.setAttribute('aria-label', options.ariaLabel);
  if (options.title) el.title = options.title;
  el.addEventListener('click', options.onClick);
  return el;
}

/** A form control whose current text is `value`. */
export interface ValueControl {
  element: HTMLElement;
  value: string;
  focus(): void;
}

function valueControl(el: HTMLElement & { value: string }): ValueControl {
  return {
    element: el,
    get value() {
      return el.value;
    },
    set value(v: string) {
      el.value = v;
    },
    focus: () => el.focus(),
  };
}

export interface TextFieldOptions {
  /**
   * The visible label, and the field's accessible name: the toolkit's text field names its input
   * after its text content and overwrites any aria-label with "Text field" when it has none.
   */
  label: string;
  placeholder?: string;
  value?: string;
  /** Called on every edit, with the new text. */
  onInput?: (value: string) => void;
}

export function textField(options: TextFieldOptions): ValueControl {
  const el = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  el.textContent = options.label;
  if (options.placeholder) el.setAttribute('placeholder', options.placeholder);
  el.value = options.value ?? '';
  const { onInput } = options;
  if (onInput) el.addEventListener('input', () => onInput(el.value));
  return valueControl(el);
}

export interface SelectOptions {
  ariaLabel: string;
  options: readonly { value: string; label: string }[];
  value?: string;
}

export function select(options: SelectOptions): ValueControl {
  const el = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  el.setAttribute('aria-label', options.ariaLabel);
  for (const o of options.options) {
    const option = document.createElement('vscode-option');
    option.setAttribute('value', o.value);
    option.textContent = o.label;
    if (o.value === options.value) option.setAttribute('selected', '');
    el.append(option);
  }
  return valueControl(el);
}

/** A small busy indicator. */
export function spinner(ariaLabel: string): HTMLElement {
  const el = document.createElement('vscode-progress-ring');
  el.setAttribute('aria-label', ariaLabel);
  return el;
}
