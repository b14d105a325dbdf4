// Not a flow: a helper the reports use. A comment that says defineFlow({ name: 'x' }) is ignored.
export function formatCents(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
