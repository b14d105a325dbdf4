/** "Deploy <flow>…": choose the environment and the ref (a modal dialog: Escape cancels). */
import type { BoardEnv } from '../protocol';
import { button, select, textField } from './components';

export interface DeployChoice {
  flowId: string;
  env: string;
  ref: string;
}

export class DeployDialog {
  readonly element = document.createElement('dialog');
  private returnFocus: HTMLElement | undefined;

  constructor(private readonly onDeploy: (choice: DeployChoice) => void) {
    this.element.className = 'deploy-dialog';
    this.element.addEventListener('close', () => this.returnFocus?.focus());
  }

  open(flow: { flowId: string; name: string }, envs: readonly BoardEnv[], from: HTMLElement): void {
    this.returnFocus = from;
    const heading = document.createElement('h2');
    heading.id = 'deploy-heading';
    heading.textContent = `Deploy ${flow.name}`;
    this.element.setAttribute('aria-labelledby', heading.id);
    const env = select({
      ariaLabel: 'Environment',
      options: envs.map((e) => ({ value: e.name, label: e.protected ? `${e.name} (protected)` : e.name })),
      value: envs[0]?.name,
    });
    const ref = textField({ label: 'Ref (branch, tag or commit)', value: 'HEAD', placeholder: 'HEAD' });
    const submit = () => {
      const choice = { flowId: flow.flowId, env: env.value, ref: ref.value.trim() || 'HEAD' };
      this.element.close();
      this.onDeploy(choice);
    };
    ref.element.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') submit();
    });
    const row = (label: string, control: HTMLElement) => {
      const wrap = document.createElement('label');
      wrap.className = 'field';
      const text = document.createElement('span');
      text.textContent = label;
      wrap.append(text, control);
      return wrap;
    };
    const actions = document.createElement('div');
    actions.className = 'dialog-actions';
    actions.append(
      button('Deploy', { onClick: submit }),
      button('Cancel', { appearance: 'secondary', onClick: () => this.element.close() }),
    );
    // The text field shows its own label (its accessible name too).
    ref.element.classList.add('field');
    this.element.replaceChildren(heading, row('Environment', env.element), ref.element, actions);
    this.element.showModal();
    env.focus();
  }
}
